//! `kubectl apply -f FILE`: client-side apply. A new object is created carrying the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation; an existing one gets the
//! three-way strategic patch between that annotation, the manifest and the live object
//! (`kubeplay_engine::patch::create_three_way_merge_patch`), printed as `configured`, or
//! `unchanged` when the patch is empty.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun};
use crate::output::Output;
use crate::printers::OutputFormat;
use kubeplay_engine::{object, patch, PatchType, WriteOptions};
use serde_json::{json, Value};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("dry-run", None, FlagKind::Value),
    flag("server-side", None, FlagKind::Bool),
    flag("force-conflicts", None, FlagKind::Bool),
    flag("field-manager", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("validate", None, FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

/// Sets the last-applied annotation as kubectl does (`GetModifiedConfiguration`): the object
/// without that annotation (but with an `annotations` map, possibly empty), marshalled as
/// compact JSON with sorted keys and a trailing newline.
pub fn set_last_applied(obj: &mut Value) {
    let mut annots = match object::get(obj, &["metadata", "annotations"]) {
        Some(Value::Object(m)) => m.clone(),
        _ => serde_json::Map::new(),
    };
    annots.remove(LAST_APPLIED);
    object::set(
        obj,
        &["metadata", "annotations"],
        Value::Object(annots.clone()),
    );
    let encoded = serde_json::to_string(obj).unwrap_or_default() + "\n";
    annots.insert(LAST_APPLIED.to_string(), json!(encoded));
    object::set(obj, &["metadata", "annotations"], Value::Object(annots));
}

/// `-o FORMAT`: what apply prints once every object went through: the one object, or a
/// `v1` `List` of them (a typed `metav1.List`, so its JSON has Go's field order).
fn print_objects(
    f: &OutputFormat,
    objs: Vec<(kubeplay_engine::Kind, Value)>,
    out: &mut Output,
) -> CmdResult {
    use crate::printers;
    if objs.is_empty() {
        return Ok(());
    }
    if let [(kind, o)] = &objs[..] {
        let text = printers::print_generic(f, &[(*kind, std::sync::Arc::new(o.clone()))], true)
            .map_err(CmdError::Plain)?;
        out.out(text);
        return Ok(());
    }
    let text = match f {
        OutputFormat::Name => objs
            .iter()
            .map(|(kind, o)| format!("{}\n", manifest::resource_name(*kind, object::name(o))))
            .collect(),
        OutputFormat::Json => {
            let items: Vec<String> = objs
                .iter()
                .map(|(_, o)| {
                    printers::json::to_json(o)
                        .trim_end()
                        .lines()
                        .map(|l| format!("        {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect();
            format!(
                "{{\n    \"kind\": \"List\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {{}},\n    \"items\": [\n{}\n    ]\n}}\n",
                items.join(",\n")
            )
        }
        f => {
            let list = json!({
                "apiVersion": "v1",
                "items": objs.into_iter().map(|(_, o)| o).collect::<Vec<_>>(),
                "kind": "List",
                "metadata": {},
            });
            printers::print_generic(
                f,
                &[(kubeplay_engine::Kind::Pod, std::sync::Arc::new(list))],
                true,
            )
            .map_err(CmdError::Plain)?
        }
    };
    out.out(text);
    Ok(())
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("apply", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let server_side = p.bool("server-side");
    if let Some(sub) = p.positional.first() {
        return Err(CmdError::Plain(format!(
            "Unexpected args: [{sub}]\nSee 'kubectl apply -h' for help and examples"
        )));
    }
    if p.all("filename").is_empty() {
        return Err(CmdError::Plain("must specify one of -f and -k".to_string()));
    }
    let format = match p.value("output").filter(|o| !o.is_empty()) {
        None => None,
        o => Some(OutputFormat::parse(o, p.value("template")).map_err(CmdError::Plain)?),
    };
    let mut printed: Vec<(kubeplay_engine::Kind, Value)> = Vec::new();
    let docs = manifest::read_manifests(k, &p.all("filename"))?;
    // The resource builder's errors (parse, decode, mapping) are reported first, as one
    // group, then each object's; the good documents are still sent.
    let mut builder_errors = Vec::new();
    let mut errors = Vec::new();
    let mut found = Vec::new();
    for doc in docs {
        match doc {
            Ok(d) => match manifest::document_kind(&d, &ns) {
                Ok(kind) => found.push((d, kind)),
                Err(m) => builder_errors.push(CmdError::Plain(m)),
            },
            Err(e) => builder_errors.push(CmdError::Plain(e.message)),
        }
    }
    if found.is_empty() && builder_errors.is_empty() {
        return Err(CmdError::Plain("no objects passed to apply".to_string()));
    }
    for (doc, kind) in found {
        let mut modified = doc.object.clone();
        if let Err(e) = super::create::set_namespace(&mut modified, kind, &ns, p.value("namespace"))
        {
            errors.push(e);
            continue;
        }
        let name = object::name(&modified).to_string();
        let obj_ns = object::namespace(&modified).to_string();
        let shown = manifest::resource_name(kind, &name);
        if !server_side {
            set_last_applied(&mut modified);
        }
        super::create::default_api_version(&mut modified, kind);
        let i = kind.info();
        let info = format!(
            "Resource: \"{}/{}, Resource={}\", GroupVersionKind: \"{}/{}, Kind={}\"\nName: {name:?}, Namespace: {obj_ns:?}",
            i.group, i.version, i.plural, i.group, i.version, i.kind_name
        );
        if name.is_empty() {
            // apply GETs the live object first; client-go refuses an empty name
            // (so apply cannot use generateName).
            errors.push(CmdError::Plain(format!(
                "error when retrieving current configuration of:\n{info}\nfrom server for: {:?}: resource name may not be empty",
                doc.source
            )));
            continue;
        }
        let live = k.cluster.api.try_get(kind, &obj_ns, &name).cloned();
        // The object as the server answered (or, for a client dry run, as it would be sent):
        // what `-o` prints.
        let mut result_object: Option<Value> = None;
        let result = match live {
            None => {
                let r = match dry {
                    DryRun::Client => Ok(modified),
                    DryRun::Server => k
                        .cluster
                        .api
                        .create_with(modified, &WriteOptions { dry_run: true })
                        .map(|o| (*o).clone()),
                    DryRun::None => k.cluster.api.create(modified).map(|o| (*o).clone()),
                };
                r.map(|o| {
                    result_object = Some(o);
                    if server_side {
                        "serverside-applied"
                    } else {
                        "created"
                    }
                })
                .map_err(|e| (e, "creating".to_string()))
            }
            // A client dry run of an object that exists sends nothing and computes no patch:
            // kubectl says `configured (dry run)` and `-o` shows the live object as it is.
            Some(live) if dry == DryRun::Client => {
                result_object = Some((*live).clone());
                Ok(if server_side {
                    "serverside-applied"
                } else {
                    "configured"
                })
            }
            Some(live) => {
                let original: Option<Value> = if server_side {
                    None
                } else {
                    match object::annotation(&live, LAST_APPLIED) {
                        Some(text) => serde_json::from_str(text).ok(),
                        None => {
                            out.errln(format!(
                                "Warning: resource {}/{name} is missing the {LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.",
                                // `Info.ObjectName()`: the mapping's bare resource, no group.
                                kind.plural()
                            ));
                            None
                        }
                    }
                };
                let patch_body =
                    patch::create_three_way_merge_patch(original.as_ref(), &modified, &live, kind);
                let empty = patch_body.as_object().is_none_or(|m| m.is_empty());
                if empty {
                    result_object = Some((*live).clone());
                    Ok(if server_side {
                        "serverside-applied"
                    } else {
                        "unchanged"
                    })
                } else {
                    let r = match dry {
                        DryRun::Client => {
                            let mut t = (*live).clone();
                            patch::strategic_merge_patch(kind, &mut t, &patch_body).map(|_| t)
                        }
                        _ => k
                            .cluster
                            .api
                            .patch_with(
                                kind,
                                &obj_ns,
                                &name,
                                PatchType::StrategicMerge,
                                &patch_body,
                                false,
                                &WriteOptions {
                                    dry_run: dry == DryRun::Server,
                                },
                            )
                            .map(|o| (*o).clone()),
                    };
                    r.map(|o| {
                        result_object = Some(o);
                        if server_side {
                            "serverside-applied"
                        } else {
                            "configured"
                        }
                    })
                    .map_err(|mut e| {
                        // Patcher.Patch adds `error when patching`, applyOneObject the patch
                        // and the object it was for.
                        e.message = format!("error when patching {:?}: {}", doc.source, e.message);
                        let body = serde_json::to_string(&patch_body).unwrap_or_default();
                        (e, format!("applying patch:\n{body}\nto:\n{info}\nfor:"))
                    })
                }
            }
        };
        manifest::flush_warnings(k, out);
        match result {
            Ok(_) if format.is_some() => printed.extend(result_object.map(|o| (kind, o))),
            Ok(op) => out.outln(format!("{shown} {op}{}", dry.suffix())),
            Err((error, verb)) => errors.push(CmdError::Api {
                error,
                context: Some((verb, doc.source.clone())),
            }),
        }
    }
    if let Some(f) = &format {
        print_objects(f, printed, out)?;
    }
    manifest::finish_grouped(builder_errors, errors, out)
}
