//! Turning `TYPE[,TYPE] [NAME...]` and `TYPE/NAME ...` arguments into (kind, name) requests,
//! as kubectl's resource builder does, with its error messages.

use kubeplay_engine::Kind;

/// One thing the user asked for: every object of a kind, or one named object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceArg {
    pub kind: Kind,
    pub name: Option<String>,
}

/// `error: the server doesn't have a resource type "foo"`
pub fn unknown_type(name: &str) -> String {
    format!("the server doesn't have a resource type \"{name}\"")
}

/// Resolves a type name (`po`, `statefulsets.apps`, `sts`) or returns kubectl's error text.
pub fn resolve_kind(name: &str) -> Result<Kind, String> {
    Kind::resolve(name).ok_or_else(|| unknown_type(name))
}

/// Parses positional arguments. `sts,po` → two kinds, all objects; `pod web-0 web-1` → two
/// named pods; `pod/web-0 svc/nginx` → named objects of mixed kinds.
pub fn parse(args: &[String]) -> Result<Vec<ResourceArg>, String> {
    let Some(first) = args.first() else {
        return Ok(Vec::new());
    };
    if args.iter().any(|a| a.contains('/')) {
        let mut out = Vec::new();
        for a in args {
            let Some((t, n)) = a.split_once('/') else {
                return Err("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string());
            };
            if n.is_empty() {
                return Err(
                    "arguments in resource/name form must have a single resource and name"
                        .to_string(),
                );
            }
            out.push(ResourceArg {
                kind: resolve_kind(t)?,
                name: Some(n.to_string()),
            });
        }
        return Ok(out);
    }
    let kinds = first
        .split(',')
        .filter(|s| !s.is_empty())
        .map(resolve_kind)
        .collect::<Result<Vec<_>, _>>()?;
    let names = &args[1..];
    if names.is_empty() {
        return Ok(kinds
            .into_iter()
            .map(|kind| ResourceArg { kind, name: None })
            .collect());
    }
    let mut out = Vec::new();
    for kind in kinds {
        for n in names {
            out.push(ResourceArg {
                kind,
                name: Some(n.clone()),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_the_forms_kubectl_accepts() {
        let r = parse(&s(&["sts,po,pvc,svc"])).unwrap();
        assert_eq!(
            r.iter().map(|a| a.kind).collect::<Vec<_>>(),
            [
                Kind::StatefulSet,
                Kind::Pod,
                Kind::PersistentVolumeClaim,
                Kind::Service
            ]
        );
        let r = parse(&s(&["pod", "web-0", "web-1"])).unwrap();
        assert_eq!(
            r[1],
            ResourceArg {
                kind: Kind::Pod,
                name: Some("web-1".into())
            }
        );
        let r = parse(&s(&["sts/web", "svc/nginx"])).unwrap();
        assert_eq!(
            r[1],
            ResourceArg {
                kind: Kind::Service,
                name: Some("nginx".into())
            }
        );
        assert_eq!(
            parse(&s(&["frobs"])).unwrap_err(),
            "the server doesn't have a resource type \"frobs\""
        );
    }
}
