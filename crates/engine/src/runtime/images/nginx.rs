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

    fn commands(&self) -> &'static [&'static str] {
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
        if start.behavior.listens.contains(&80) {
            nginx_startup_log(&start.image.version, start.now)
        } else {
            start.behavior.output.clone()
        }
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

/// `GET path` against the default server: the document root, its index, 403 and 404.
fn serve(server: &Server<'_>, path: &str) -> HttpResponse {
    let (rt, api, cref) = (server.runtime, server.api, server.cref());
    let version = server.image.version.as_str();
    let docroot = "/usr/share/nginx/html";
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
            let index = format!("{full}/index.html");
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
    if version_tuple(version) < (1, 19) {
        return String::new();
    }
    let s = now.rfc3339();
    let stamp = format!(
        "{} {}",
        s.get(0..10).unwrap_or("").replace('-', "/"),
        s.get(11..19).unwrap_or("")
    );
    let mut out = String::from(
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n\
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/\n\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh\n\
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf\n\
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf\n",
    );
    if version_tuple(version) >= (1, 25) {
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
        "using the \"epoll\" event method".to_string(),
        format!("nginx/{version}"),
        "built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) ".to_string(),
        "OS: Linux 6.1.0-kubeplay".to_string(),
        "getrlimit(RLIMIT_NOFILE): 1048576:1048576".to_string(),
        "start worker processes".to_string(),
        "start worker process 29".to_string(),
    ] {
        out.push_str(&format!("{stamp} [notice] 1#1: {line}\n"));
    }
    out
}
