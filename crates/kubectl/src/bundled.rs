//! Offline copies of manifests tutorials fetch by URL (`kubectl apply -f https://k8s.io/...`),
//! compiled in from the repository's `static/` directory so the page and the CLI work without
//! a network. `static/urls` maps each URL to its copy.
//!
//! Nothing here fetches anything: an unknown URL reads as an error in kubectl's words.

use crate::context::Files;

/// `static/urls`: `URL PATH` lines, `#` comments.
pub const URLS: &str = include_str!("../../../static/urls");

/// Every bundled file, by its path under `static/examples/`.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "application/web/web.yaml",
        include_str!("../../../static/examples/application/web/web.yaml"),
    ),
    (
        "controllers/nginx-deployment.yaml",
        include_str!("../../../static/examples/controllers/nginx-deployment.yaml"),
    ),
    (
        "mehdb/app.yaml",
        include_str!("../../../static/examples/mehdb/app.yaml"),
    ),
    (
        "tutorials/web-2017.yaml",
        include_str!("../../../static/examples/tutorials/web-2017.yaml"),
    ),
    (
        "tutorials/web-2019.yaml",
        include_str!("../../../static/examples/tutorials/web-2019.yaml"),
    ),
    (
        "tutorials/web-parallel-2019.yaml",
        include_str!("../../../static/examples/tutorials/web-parallel-2019.yaml"),
    ),
];

/// A bundled example by its path under `static/examples/`.
pub fn example(path: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// The bundled copy of a URL, if there is one.
pub fn url(url: &str) -> Option<&'static str> {
    URLS.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(char::is_whitespace))
        .find(|(u, _)| *u == url)
        .and_then(|(_, p)| example(p.trim()))
}

/// Files that resolve `http(s)://` names to bundled copies and everything else through `inner`.
pub struct WithUrls<'a> {
    pub inner: &'a dyn Files,
}

impl Files for WithUrls<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        if path.starts_with("http://") || path.starts_with("https://") {
            // kubectl's wording when a URL cannot be fetched (here: not bundled).
            return url(path).map(str::to_string).ok_or_else(|| {
                format!(
                    "unable to read URL \"{path}\", server reported 404 Not Found, status code=404"
                )
            });
        }
        self.inner.read(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_maps_to_a_bundled_file() {
        for line in URLS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (u, _) = line.split_once(' ').unwrap();
            assert!(url(u).is_some(), "{u} has no bundled copy");
        }
        assert!(url("https://k8s.io/examples/application/web/web.yaml")
            .unwrap()
            .contains("kind: StatefulSet"));
    }
}
