//! `nginx` and `registry.k8s.io/nginx-slim` (the StatefulSet tutorials' web servers): serve
//! their document root on :80 with nginx's own error pages, access log lines and start-up
//! notices, for the nginx release each tag ships.
//!
//! The worker runs as the unprivileged `nginx` user, so a document root whose directories lack
//! o+x or whose files lack o+r answers 403, as the real server does (S-rules on volumes whose
//! permissions the user changed with `chmod`).

use super::{
    Behavior, Fs, HttpResponse, Image, ImageDef, Server, Start, Userland, DEBIAN_OS_RELEASE,
};
use crate::runtime::fs::normalize_path;
use crate::time::Time;
use serde_json::Value;

pub struct Nginx;

impl ImageDef for Nginx {
    fn name(&self) -> &'static str {
        "nginx"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        base.starts_with("nginx")
    }

    fn version(&self, base: &str, tag: &str) -> String {
        nginx_version(base, tag)
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        50_000_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &["/usr/sbin/nginx", "/usr/bin/curl", "/bin/sh", "/bin/bash"]
    }

    fn layer(&self, image: &Image, fs: &mut Fs) {
        for d in [
            "/lib",
            "/sbin",
            "/usr/bin",
            "/usr/sbin",
            "/usr/lib",
            "/var/log/nginx",
            "/var/cache/nginx",
            "/docker-entrypoint.d",
        ] {
            let _ = fs.mkdir_all(d, 0o755);
        }
        fs.put("/etc/os-release", 0o644, DEBIAN_OS_RELEASE.as_bytes());
        fs.put("/etc/nginx/nginx.conf", 0o644, NGINX_CONF.as_bytes());
        fs.put(
            "/etc/nginx/conf.d/default.conf",
            0o644,
            NGINX_DEFAULT_CONF.as_bytes(),
        );
        fs.put("/etc/nginx/mime.types", 0o644, b"types {\n    text/html  html htm shtml;\n    text/css   css;\n    text/plain txt;\n}\n");
        fs.put(
            "/usr/share/nginx/html/index.html",
            0o644,
            nginx_welcome(&image.version).as_bytes(),
        );
        fs.put(
            "/usr/share/nginx/html/50x.html",
            0o644,
            NGINX_50X.as_bytes(),
        );
    }

    fn entrypoint(&self, _image: &Image, _container: &Value) -> Behavior {
        Behavior::long_running(300, vec![80])
    }

    fn command_listens(&self, _image: &Image, script: &str) -> Vec<u16> {
        if script.contains("nginx") {
            vec![80]
        } else {
            Vec::new()
        }
    }

    fn startup_log(&self, start: &Start<'_>) -> String {
        match self.startup_banner(start) {
            Some(render) => render(&start.image.version, start.now),
            None => start.behavior.output.clone(),
        }
    }

    /// The entrypoint's banner and nginx's notices, made from the release and the start.
    fn startup_banner(&self, start: &Start<'_>) -> Option<fn(&str, Time) -> String> {
        start
            .behavior
            .listens
            .contains(&80)
            .then_some(nginx_startup_log as fn(&str, Time) -> String)
    }

    fn serve_http(&self, server: &Server<'_>, path: &str) -> Option<HttpResponse> {
        Some(serve(server, path))
    }

    fn access_log_line(
        &self,
        client: &str,
        path: &str,
        r: &HttpResponse,
        now: Time,
    ) -> Option<String> {
        Some(format!(
            "{client} - - [{}] \"GET {path} HTTP/1.1\" {} {} \"-\" \"curl/7.88.1\" \"-\"\n",
            nginx_log_time(now),
            r.status,
            r.body.len()
        ))
    }
}

/// What nginx's configuration says about the first server it defines: what it serves and
/// where it proxies (`location /`), the ports it listens on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Site {
    pub listens: Vec<u16>,
    /// The document root (`root`; nginx's default is `html` under its prefix).
    pub root: String,
    pub index: Vec<String>,
    /// `proxy_pass http://host[:port]` of `location /`.
    pub proxy_pass: Option<String>,
}

/// The prefix `root html` is relative to (`--prefix=/usr/share/nginx`, as Debian, Ubuntu and
/// nginx-slim build it).
const PREFIX: &str = "/usr/share/nginx";

/// Splits nginx configuration text into words, `{`, `}` and `;` (comments dropped).
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '#' if cur.is_empty() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '{' | '}' | ';' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Reads `conf` as nginx does at start, following `include` (with a `*` in the last part),
/// and returns the first server's site. `read` gives a file's text, `list` a directory's
/// names. Errors are nginx's `[emerg]` messages.
pub fn parse_site(
    conf: &str,
    read: &dyn Fn(&str) -> Option<String>,
    list: &dyn Fn(&str) -> Vec<String>,
) -> Result<Site, String> {
    let text = read(conf)
        .ok_or_else(|| format!("open() \"{conf}\" failed (2: No such file or directory)"))?;
    let mut toks = tokens(&text);
    // Splice includes (bounded, so an include loop cannot run forever).
    let mut spliced = 0;
    while let Some(i) = toks.iter().position(|t| t == "include") {
        spliced += 1;
        let pattern = toks.get(i + 1).cloned().unwrap_or_default();
        let end = (i + 3).min(toks.len());
        let mut inserted = Vec::new();
        if spliced < 64 {
            let pattern = if pattern.starts_with('/') {
                pattern
            } else {
                format!("/etc/nginx/{pattern}")
            };
            let files = match pattern.rsplit_once('/') {
                Some((dir, name)) if name.contains('*') => {
                    let (pre, suf) = name.split_once('*').unwrap_or((name, ""));
                    let mut names: Vec<String> = list(dir)
                        .into_iter()
                        .filter(|n| n.starts_with(pre) && n.ends_with(suf))
                        .map(|n| format!("{dir}/{n}"))
                        .collect();
                    kubeplay_shell::sorting::sort(&mut names);
                    names
                }
                _ => vec![pattern],
            };
            for f in files {
                if f.ends_with("mime.types") {
                    continue;
                }
                match read(&f) {
                    Some(t) => inserted.extend(tokens(&t)),
                    None if f.contains('*') => {}
                    None => {
                        return Err(format!(
                            "open() \"{f}\" failed (2: No such file or directory) in {conf}"
                        ))
                    }
                }
            }
        }
        toks.splice(i..end, inserted);
    }
    let mut site = Site {
        root: format!("{PREFIX}/html"),
        index: vec!["index.html".to_string()],
        ..Site::default()
    };
    // Walk the blocks: http-level `root`/`index` are inherited by the first server.
    let mut stack: Vec<String> = Vec::new();
    let mut servers = 0;
    let mut stmt: Vec<String> = Vec::new();
    for t in toks {
        match t.as_str() {
            "{" => {
                let name = stmt.first().cloned().unwrap_or_default();
                let arg = stmt.get(1).cloned().unwrap_or_default();
                if name == "server" && stack.last().map(String::as_str) == Some("http") {
                    servers += 1;
                }
                stack.push(if name == "location" {
                    format!("location {arg}")
                } else {
                    name
                });
                stmt.clear();
            }
            "}" => {
                if stack.pop().is_none() {
                    return Err(format!("unexpected \"}}\" in {conf}"));
                }
                stmt.clear();
            }
            ";" => {
                let in_first = servers <= 1;
                let ctx = stack.last().map(String::as_str).unwrap_or("");
                let relevant = in_first
                    && (ctx == "http" || ctx == "server" || ctx == "location /")
                    && stack.first().map(String::as_str) == Some("http");
                if relevant {
                    let arg = stmt.get(1).cloned().unwrap_or_default();
                    match stmt.first().map(String::as_str) {
                        Some("root") => {
                            site.root = if arg.starts_with('/') {
                                arg
                            } else {
                                format!("{PREFIX}/{arg}")
                            }
                        }
                        Some("index") => site.index = stmt[1..].to_vec(),
                        Some("proxy_pass") if ctx == "location /" => site.proxy_pass = Some(arg),
                        Some("listen") if ctx == "server" => {
                            let port = arg.rsplit(':').next().unwrap_or("");
                            if let Ok(p) = port.parse::<u16>() {
                                if !site.listens.contains(&p) {
                                    site.listens.push(p);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                stmt.clear();
            }
            _ => stmt.push(t),
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "unexpected end of file, expecting \"}}\" in {conf}"
        ));
    }
    if !text.contains("events") {
        return Err("no \"events\" section in configuration".to_string());
    }
    if site.listens.is_empty() && servers > 0 {
        site.listens.push(80);
    }
    Ok(site)
}

/// Answers a request to an nginx a command line started: its document root, or the peer
/// `location /` proxies to (fetched from this container, as the worker would). `depth`
/// counts the proxies already on the way, so a proxy loop ends in 502.
pub fn serve_started(
    server: &Server<'_>,
    p: &super::super::ServerProc,
    path: &str,
    depth: u8,
) -> Option<HttpResponse> {
    let version = p.version.as_str();
    let Some(upstream) = &p.site.proxy_pass else {
        return Some(serve_root(
            server,
            path,
            &p.site.root,
            &p.site.index,
            version,
        ));
    };
    let err = |status| {
        Some(HttpResponse {
            status,
            body: nginx_error_page(status, version),
        })
    };
    if depth >= 4 {
        return err(502);
    }
    let rest = upstream.strip_prefix("http://").unwrap_or(upstream);
    let (hostport, base) = match rest.split_once('/') {
        Some((h, b)) => (h, format!("/{b}")),
        None => (rest, String::new()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().unwrap_or(80)),
        None => (hostport, 80),
    };
    let target = if base.is_empty() {
        path.to_string()
    } else {
        format!("{}{}", base.trim_end_matches('/'), path)
    };
    match server
        .runtime
        .http_get(server.api, &server.cref(), host, port, &target)
    {
        Ok(r) => Some(r),
        Err(super::super::NetError::Timeout { .. }) => err(504),
        Err(_) => err(502),
    }
}

/// `GET path` against the default server: the document root, its index, 403 and 404.
fn serve(server: &Server<'_>, path: &str) -> HttpResponse {
    let version = server.image.version.clone();
    serve_root(
        server,
        path,
        "/usr/share/nginx/html",
        &["index.html".to_string()],
        &version,
    )
}

/// `GET path` under `docroot`: the file, a directory's index, 403 and 404.
fn serve_root(
    server: &Server<'_>,
    path: &str,
    docroot: &str,
    index: &[String],
    version: &str,
) -> HttpResponse {
    let (rt, api, cref) = (server.runtime, server.api, server.cref());
    let url_path = path.split(['?', '#']).next().unwrap_or("/");
    let full = normalize_path(&format!("{docroot}/{url_path}"));
    let err = |status| HttpResponse {
        status,
        body: nginx_error_page(status, version),
    };
    // The worker runs as `nginx`: every directory on the way needs o+x, files o+r.
    let mut dir = String::new();
    for part in full.split('/').filter(|p| !p.is_empty()) {
        let parent_dir = if dir.is_empty() {
            "/".to_string()
        } else {
            dir.clone()
        };
        if let Ok(st) = rt.stat(api, &cref, &parent_dir) {
            if st.is_dir && st.mode & 0o001 == 0 {
                return err(403);
            }
        }
        dir.push('/');
        dir.push_str(part);
    }
    match rt.stat(api, &cref, &full) {
        Err(_) => err(404),
        Ok(st) if st.is_dir => {
            if st.mode & 0o001 == 0 {
                return err(403);
            }
            let index = index
                .iter()
                .map(|i| format!("{full}/{i}"))
                .find(|i| rt.stat(api, &cref, i).is_ok())
                .unwrap_or_else(|| format!("{full}/index.html"));
            match rt.stat(api, &cref, &index) {
                Ok(ix) if !ix.is_dir => {
                    if ix.mode & 0o004 == 0 {
                        return err(403);
                    }
                    match rt.read_file(api, &cref, &index) {
                        Ok(b) => HttpResponse {
                            status: 200,
                            body: String::from_utf8_lossy(&b).into_owned(),
                        },
                        Err(_) => err(403),
                    }
                }
                _ => err(403),
            }
        }
        Ok(st) => {
            if st.mode & 0o004 == 0 {
                return err(403);
            }
            match rt.read_file(api, &cref, &full) {
                Ok(b) => HttpResponse {
                    status: 200,
                    body: String::from_utf8_lossy(&b).into_owned(),
                },
                Err(_) => err(404),
            }
        }
    }
}

/// The nginx release an image tag ships, for `Server:` headers and error pages.
fn nginx_version(base: &str, tag: &str) -> String {
    if base == "nginx-slim" {
        return match tag {
            "0.7" => "1.9.14",
            "0.8" => "1.11.1",
            "0.9" | "0.10" | "0.11" => "1.11.13",
            "0.12" | "0.13" | "0.14" => "1.13.3",
            "0.20" | "0.21" => "1.15.5",
            "0.24" | "0.25" | "0.26" => "1.21.6",
            _ => "1.25.3",
        }
        .to_string();
    }
    let numeric: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let dots = numeric.matches('.').count();
    match (numeric.as_str(), dots) {
        ("1.14", _) => "1.14.2".to_string(),
        ("1.16", _) => "1.16.1".to_string(),
        ("1.19", _) => "1.19.10".to_string(),
        ("1.21", _) => "1.21.6".to_string(),
        ("1.23", _) => "1.23.4".to_string(),
        ("1.25", _) => "1.25.5".to_string(),
        ("1.27", _) => "1.27.5".to_string(),
        (n, 2) => n.to_string(),
        (n, 1) if !n.ends_with('.') => format!("{n}.0"),
        _ => "1.29.1".to_string(),
    }
}

fn version_tuple(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

const NGINX_CONF: &str = "\nuser  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /run/nginx.pid;\n\n\nevents {\n    worker_connections  1024;\n}\n\n\nhttp {\n    include       /etc/nginx/mime.types;\n    default_type  application/octet-stream;\n\n    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '\n                      '$status $body_bytes_sent \"$http_referer\" '\n                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';\n\n    access_log  /var/log/nginx/access.log  main;\n\n    sendfile        on;\n    #tcp_nopush     on;\n\n    keepalive_timeout  65;\n\n    #gzip  on;\n\n    include /etc/nginx/conf.d/*.conf;\n}\n";

const NGINX_DEFAULT_CONF: &str = "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n\n    error_page   500 502 503 504  /50x.html;\n    location = /50x.html {\n        root   /usr/share/nginx/html;\n    }\n}\n";

const NGINX_50X: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\nPlease try again later.</p>\n<p>If you are the system administrator of this resource then you should check\nthe error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n";

/// The default `index.html` of the nginx image; its style block changed in 1.21.
fn nginx_welcome(version: &str) -> String {
    let style = if version_tuple(version) >= (1, 21) {
        "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n"
    } else {
        "    body {\n        width: 35em;\n        margin: 0 auto;\n        font-family: Tahoma, Verdana, Arial, sans-serif;\n    }\n"
    };
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n{style}</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"
    )
}

/// nginx's built-in error page (`ngx_http_special_response`), CRLF line ends included.
pub fn nginx_error_page(status: u16, version: &str) -> String {
    let title = match status {
        403 => "403 Forbidden",
        404 => "404 Not Found",
        405 => "405 Not Allowed",
        502 => "502 Bad Gateway",
        504 => "504 Gateway Time-out",
        _ => "500 Internal Server Error",
    };
    let body_tag = if version_tuple(version) >= (1, 17) {
        "<body>"
    } else {
        "<body bgcolor=\"white\">"
    };
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n{body_tag}\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )
}

fn month_abbr(m: &str) -> &'static str {
    match m {
        "01" => "Jan",
        "02" => "Feb",
        "03" => "Mar",
        "04" => "Apr",
        "05" => "May",
        "06" => "Jun",
        "07" => "Jul",
        "08" => "Aug",
        "09" => "Sep",
        "10" => "Oct",
        "11" => "Nov",
        _ => "Dec",
    }
}

/// nginx's `$time_local`: `01/Jan/2026:00:00:05 +0000`.
fn nginx_log_time(t: Time) -> String {
    let s = t.rfc3339();
    let g = |r: std::ops::Range<usize>| s.get(r).unwrap_or("").to_string();
    format!(
        "{}/{}/{}:{} +0000",
        g(8..10),
        month_abbr(&g(5..7)),
        g(0..4),
        g(11..19)
    )
}

/// The docker-entrypoint and nginx notices the official image prints at start (1.19+; the
/// old nginx-slim images print nothing).
fn nginx_startup_log(version: &str, now: Time) -> String {
    let version_at = version_tuple(version);
    if version_at < (1, 19) {
        return String::new();
    }
    // Joined by hand (one per container start): `format!` cost more than the rest of the
    // container's start.
    let s = now.rfc3339();
    let mut stamp = String::with_capacity(19);
    stamp.extend(
        s.get(0..10)
            .unwrap_or("")
            .chars()
            .map(|c| if c == '-' { '/' } else { c }),
    );
    stamp.push(' ');
    stamp.push_str(s.get(11..19).unwrap_or(""));
    let mut out = String::with_capacity(1400);
    out.push_str(
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n\
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/\n\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh\n\
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf\n\
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf\n",
    );
    if version_at >= (1, 25) {
        out.push_str(
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh\n",
        );
    }
    out.push_str(
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh\n\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh\n\
/docker-entrypoint.sh: Configuration complete; ready for start up\n",
    );
    for line in [
        &["using the \"epoll\" event method"][..],
        &["nginx/", version],
        &["built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) "],
        &["OS: Linux 6.1.0-kubeplay"],
        &["getrlimit(RLIMIT_NOFILE): 1048576:1048576"],
        &["start worker processes"],
        &["start worker process 29"],
    ] {
        out.push_str(&stamp);
        out.push_str(" [notice] 1#1: ");
        for part in line {
            out.push_str(part);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_log_is_the_official_images_with_one_stamp() {
        let at = crate::time::DEFAULT_START.plus_ms(20_000);
        let log = nginx_startup_log("1.27.5", at);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 16, "{log}");
        assert!(log.ends_with('\n'));
        assert_eq!(
            lines[5],
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh"
        );
        assert_eq!(
            lines[8],
            "/docker-entrypoint.sh: Configuration complete; ready for start up"
        );
        assert_eq!(
            lines[9],
            "2026/01/01 00:00:20 [notice] 1#1: using the \"epoll\" event method"
        );
        assert_eq!(lines[10], "2026/01/01 00:00:20 [notice] 1#1: nginx/1.27.5");
        assert_eq!(
            lines[11],
            "2026/01/01 00:00:20 [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) "
        );
        assert_eq!(
            lines[15],
            "2026/01/01 00:00:20 [notice] 1#1: start worker process 29"
        );
        // Before 1.25 there is no local-resolvers script; before 1.19 no entrypoint output.
        let old = nginx_startup_log("1.21.6", at);
        assert_eq!(old.lines().count(), 15);
        assert!(!old.contains("15-local-resolvers"));
        assert_eq!(nginx_startup_log("1.17", at), "");
    }
}
