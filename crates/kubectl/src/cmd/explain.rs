//! `kubectl explain TYPE[.field...]`: kubectl 1.33's OpenAPI v3 plaintext layout for the
//! handful of fields the tutorials touch. The texts are the API's own field documentation;
//! paths outside the table say plainly that the playground has no docs for them.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use kubeplay_engine::Kind;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("recursive", None, FlagKind::Bool),
    flag("api-version", None, FlagKind::Value),
    flag("output", None, FlagKind::Value),
];

/// One documented field: its path under the kind, type, description and child fields
/// (name, type, one-paragraph description).
struct Doc {
    kind: Kind,
    path: &'static str,
    type_name: &'static str,
    description: &'static str,
    fields: &'static [(&'static str, &'static str, &'static str)],
}

const STS_UPDATE_STRATEGY: &str = "updateStrategy indicates the StatefulSetUpdateStrategy that will be employed\nto update Pods in the StatefulSet when a revision is made to Template.\nStatefulSetUpdateStrategy indicates the strategy that the StatefulSet\ncontroller will use to perform updates. It includes any additional\nparameters necessary to perform the update for the indicated strategy.";

static DOCS: &[Doc] = &[
    Doc {
        kind: Kind::StatefulSet,
        path: "",
        type_name: "",
        description: "StatefulSet represents a set of pods with consistent identities. Identities\nare defined as:\n  - Network: A single stable DNS and hostname.\n  - Storage: As many VolumeClaims as requested.\n\nThe StatefulSet guarantees that a given network identity will always map to\nthe same storage identity.",
        fields: &[
            ("apiVersion", "<string>", "APIVersion defines the versioned schema of this representation of an object.\nServers should convert recognized schemas to the latest internal value, and\nmay reject unrecognized values. More info:\nhttps://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"),
            ("kind", "<string>", "Kind is a string value representing the REST resource this object\nrepresents. Servers may infer this from the endpoint the client submits\nrequests to. Cannot be updated. In CamelCase. More info:\nhttps://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
            ("metadata", "<ObjectMeta>", "Standard object's metadata. More info:\nhttps://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
            ("spec", "<StatefulSetSpec>", "Spec defines the desired identities of pods in this set."),
            ("status", "<StatefulSetStatus>", "Status is the current status of Pods in this StatefulSet. This data may be\nout of date by some window of time."),
        ],
    },
    Doc {
        kind: Kind::StatefulSet,
        path: "spec.updateStrategy",
        type_name: "<StatefulSetUpdateStrategy>",
        description: STS_UPDATE_STRATEGY,
        fields: &[
            ("rollingUpdate", "<RollingUpdateStatefulSetStrategy>", "RollingUpdate is used to communicate parameters when Type is\nRollingUpdateStatefulSetStrategyType."),
            ("type", "<string>\n  enum: OnDelete, RollingUpdate", "Type indicates the type of the StatefulSetUpdateStrategy. Default is\nRollingUpdate.\n\nPossible enum values:\n - `\"OnDelete\"` triggers the legacy behavior. Version tracking and ordered\nrolling restarts are disabled. Pods are recreated from the StatefulSetSpec\nwhen they are manually deleted. When a scale operation is performed with\nthis strategy,specification version indicated by the StatefulSet's\ncurrentRevision.\n - `\"RollingUpdate\"` indicates that update will be applied to all Pods in\nthe StatefulSet with respect to the StatefulSet ordering constraints. When a\nscale operation is performed with this strategy, new Pods will be created\nfrom the specification version indicated by the StatefulSet's\nupdateRevision."),
        ],
    },
    Doc {
        kind: Kind::StatefulSet,
        path: "spec.updateStrategy.rollingUpdate",
        type_name: "<RollingUpdateStatefulSetStrategy>",
        description: "RollingUpdate is used to communicate parameters when Type is\nRollingUpdateStatefulSetStrategyType.\nRollingUpdateStatefulSetStrategy is used to communicate parameter for\nRollingUpdateStatefulSetStrategyType.",
        fields: &[
            ("maxUnavailable", "<IntOrString>", "The maximum number of pods that can be unavailable during the update. Value\ncan be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%).\nAbsolute number is calculated from percentage by rounding up. This can not\nbe 0. Defaults to 1. This field is alpha-level and is only honored by\nservers that enable the MaxUnavailableStatefulSet feature. The field applies\nto all pods in the range 0 to Replicas-1. That means if there is any\nunavailable pod in the range 0 to Replicas-1, it will be counted towards\nMaxUnavailable."),
            ("partition", "<integer>", "Partition indicates the ordinal at which the StatefulSet should be\npartitioned for updates. During a rolling update, all pods from ordinal\nReplicas-1 to Partition are updated. All pods from ordinal Partition-1 to 0\nremain untouched. This is helpful in being able to do a canary based\ndeployment. The default value is 0."),
        ],
    },
    Doc {
        kind: Kind::StatefulSet,
        path: "spec.podManagementPolicy",
        type_name: "<string>\nENUM:\n    OrderedReady\n    Parallel",
        description: "podManagementPolicy controls how pods are created during initial scale up,\nwhen replacing pods on nodes, or when scaling down. The default policy is\n`OrderedReady`, where pods are created in increasing order (pod-0, then\npod-1, etc) and the controller will wait until each pod is ready before\ncontinuing. When scaling down, the pods are removed in the opposite order.\nThe alternative policy is `Parallel` which will create pods in parallel to\nmatch the desired scale without waiting, and on scale down will delete all\npods at once.\n\nPossible enum values:\n - `\"OrderedReady\"` will create pods in strictly increasing order on scale\nup and strictly decreasing order on scale down, progressing only when the\nprevious pod is ready or terminated. At most one pod will be changed at any\ntime.\n - `\"Parallel\"` will create and delete pods as soon as the stateful set\nreplica count is changed, and will not wait for pods to be ready or complete\ntermination.",
        fields: &[],
    },
    Doc {
        kind: Kind::StatefulSet,
        path: "spec.replicas",
        type_name: "<integer>",
        description: "replicas is the desired number of replicas of the given Template. These are\nreplicas in the sense that they are instantiations of the same Template, but\nindividual replicas also have a consistent identity. If unspecified,\ndefaults to 1.",
        fields: &[],
    },
    Doc {
        kind: Kind::StatefulSet,
        path: "spec.serviceName",
        type_name: "<string>",
        description: "serviceName is the name of the service that governs this StatefulSet. This\nservice must exist before the StatefulSet, and is responsible for the\nnetwork identity of the set. Pods get DNS/hostnames that follow the pattern:\npod-specific-string.serviceName.default.svc.cluster.local where\n\"pod-specific-string\" is managed by the StatefulSet controller.",
        fields: &[],
    },
];

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                format!("{by}\n")
            } else {
                format!("{by}{l}\n")
            }
        })
        .collect()
}

fn render(doc: &Doc) -> String {
    let info = doc.kind.info();
    let mut s = String::new();
    if !info.group.is_empty() {
        s.push_str(&format!("GROUP:      {}\n", info.group));
    }
    s.push_str(&format!(
        "KIND:       {}\nVERSION:    {}\n\n",
        info.kind_name, info.version
    ));
    if !doc.path.is_empty() {
        let field = doc.path.rsplit('.').next().unwrap_or(doc.path);
        let (ty, extra) = match doc.type_name.split_once('\n') {
            Some((t, rest)) => (t, Some(rest)),
            None => (doc.type_name, None),
        };
        // kubectl 1.33's plaintext template prints the FIELD line, then the field's ENUM
        // block or nothing, each followed by a newline, then a blank line: a field without
        // an enum therefore has two empty lines before DESCRIPTION.
        s.push_str(&format!("FIELD: {field} {ty}\n"));
        s.push_str(extra.unwrap_or(""));
        s.push_str("\n\n");
    }
    s.push_str("DESCRIPTION:\n");
    s.push_str(&indent(doc.description, "    "));
    s.push_str("    \n");
    if !doc.fields.is_empty() {
        s.push_str("FIELDS:\n");
        for (name, ty, desc) in doc.fields {
            s.push_str(&format!("  {name}\t{ty}\n"));
            s.push_str(&indent(desc, "    "));
            s.push('\n');
        }
    }
    s
}

pub fn run(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| CmdError::Usage {
        command: "explain".into(),
        message: m,
    })?;
    let Some(target) = p.positional.first() else {
        return Err(CmdError::Usage {
            command: "explain".into(),
            message: "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".into(),
        });
    };
    let (type_name, path) = match target.split_once('.') {
        Some((t, rest)) => (t, rest),
        None => (target.as_str(), ""),
    };
    let kind = crate::resource_args::resolve_kind(type_name).map_err(CmdError::Plain)?;
    // Field names are matched as written (kubectl is case-sensitive for fields).
    match DOCS.iter().find(|d| d.kind == kind && d.path == path) {
        Some(doc) => {
            out.out(render(doc));
            Ok(())
        }
        None => Err(CmdError::Plain(format!(
            "kubeplay has no documentation for \"{target}\" (documented: {})",
            DOCS.iter()
                .map(|d| {
                    let base = d.kind.info().singular;
                    if d.path.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}.{}", d.path)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_docs_follow_the_openapi_v3_layout() {
        let doc = DOCS
            .iter()
            .find(|d| d.path == "spec.updateStrategy")
            .unwrap();
        let text = render(doc);
        assert!(text.starts_with(
            "GROUP:      apps\nKIND:       StatefulSet\nVERSION:    v1\n\nFIELD: updateStrategy <StatefulSetUpdateStrategy>\n\n\nDESCRIPTION:\n    updateStrategy indicates"
        ));
        assert!(text.contains("    \nFIELDS:\n  rollingUpdate\t<RollingUpdateStatefulSetStrategy>\n    RollingUpdate is used"));
    }
    #[test]
    fn enum_fields_print_their_values_between_field_and_description() {
        let doc = DOCS
            .iter()
            .find(|d| d.path == "spec.podManagementPolicy")
            .unwrap();
        assert!(render(doc).contains(
            "FIELD: podManagementPolicy <string>\nENUM:\n    OrderedReady\n    Parallel\n\nDESCRIPTION:\n"
        ));
    }

    /// kubectl wraps every description at 76 columns, filling each line greedily (a word
    /// moves down only when it does not fit). A line may end early only where the text
    /// itself breaks: an empty line, an indented list item, or a sentence followed by the
    /// next schema's own description.
    #[test]
    fn descriptions_fill_lines_as_kubectl_wraps_them() {
        let mut texts: Vec<&str> = Vec::new();
        for d in DOCS {
            texts.push(d.description);
            texts.extend(d.fields.iter().map(|f| f.2));
        }
        for text in texts {
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.windows(2) {
                let (line, next) = (pair[0], pair[1]);
                assert!(line.chars().count() <= 76, "too long: {line:?}");
                let paragraph_ends = line.is_empty()
                    || next.is_empty()
                    || next.starts_with(' ')
                    || (line.ends_with(['.', ':'])
                        && next.starts_with(|c: char| c.is_ascii_uppercase()));
                let first_word = next.split(' ').next().unwrap_or("");
                assert!(
                    paragraph_ends || line.chars().count() + 1 + first_word.chars().count() > 76,
                    "{first_word:?} fits on {line:?}"
                );
            }
        }
    }
}
