//! Pure helpers of the StatefulSet controller (upstream `stateful_set_utils.go` and
//! `pkg/controller/history`): pod identity and names, pod and claim construction, health
//! predicates, retention-policy owner references and revisions (patch, hash, apply).
//!
//! Nothing here talks to the API or keeps state; every function is a plain computation over
//! objects so the decision code and its tests can share it.

use crate::object::{self, OwnerRef};
use crate::time::Time;
use serde_json::{json, Value};

pub const REVISION_LABEL: &str = "controller-revision-hash";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
pub const HISTORY_HASH_LABEL: &str = "controller.kubernetes.io/hash";

// ---------------------------------------------------------------------------------------------
// Set fields

pub fn replicas(set: &Value) -> i64 {
    object::get_i64(set, &["spec", "replicas"])
        .unwrap_or(1)
        .max(0)
}

/// `getStartOrdinal`: `spec.ordinals.start`, or 0.
pub fn start_ordinal(set: &Value) -> i64 {
    object::get_i64(set, &["spec", "ordinals", "start"])
        .unwrap_or(0)
        .max(0)
}

/// `getEndOrdinal`: start + replicas - 1.
pub fn end_ordinal(set: &Value) -> i64 {
    start_ordinal(set) + replicas(set) - 1
}

pub fn min_ready_seconds(set: &Value) -> i64 {
    object::get_i64(set, &["spec", "minReadySeconds"])
        .unwrap_or(0)
        .max(0)
}

/// `allowsBurst`: Parallel pod management.
pub fn allows_burst(set: &Value) -> bool {
    object::get_str(set, &["spec", "podManagementPolicy"]) == Some("Parallel")
}

pub fn strategy_type(set: &Value) -> &str {
    object::get_str(set, &["spec", "updateStrategy", "type"]).unwrap_or("RollingUpdate")
}

/// `spec.updateStrategy.rollingUpdate`, when present.
pub fn rolling_update(set: &Value) -> Option<&Value> {
    object::get(set, &["spec", "updateStrategy", "rollingUpdate"]).filter(|v| v.is_object())
}

pub fn partition(set: &Value) -> i64 {
    rolling_update(set)
        .and_then(|r| r.get("partition"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// `getStatefulSetMaxUnavailable`: the value or 1, percentages scaled rounding down, at least 1.
pub fn max_unavailable(set: &Value) -> i64 {
    let n = replicas(set);
    let v = rolling_update(set).and_then(|r| r.get("maxUnavailable"));
    let scaled = match v {
        Some(Value::Number(x)) => x.as_i64().unwrap_or(1),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) => p * n / 100,
            None => s.parse().unwrap_or(1),
        },
        _ => 1,
    };
    scaled.max(1)
}

/// `persistentVolumeClaimRetentionPolicy` as (whenDeleted, whenScaled) with Retain defaults.
pub fn retention_policy(set: &Value) -> (bool, bool) {
    let p = |f: &str| {
        object::get_str(set, &["spec", "persistentVolumeClaimRetentionPolicy", f]) == Some("Delete")
    };
    (p("whenDeleted"), p("whenScaled"))
}

pub fn claim_templates(set: &Value) -> &[Value] {
    object::get_array(set, &["spec", "volumeClaimTemplates"])
}

// ---------------------------------------------------------------------------------------------
// Identity (S2.1, S2.4, S2.5)

/// `getParentNameAndOrdinal`: `(.*)-([0-9]+)$`; no match gives `("", -1)`.
pub fn parent_and_ordinal(name: &str) -> (&str, i64) {
    let Some((parent, digits)) = name.rsplit_once('-') else {
        return ("", -1);
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return ("", -1);
    }
    match digits.parse::<i32>() {
        Ok(o) => (parent, i64::from(o)),
        Err(_) => ("", -1),
    }
}

pub fn ordinal(pod: &Value) -> i64 {
    parent_and_ordinal(object::name(pod)).1
}

pub fn pod_name(set: &Value, ordinal: i64) -> String {
    format!("{}-{}", object::name(set), ordinal)
}

pub fn claim_name(set: &Value, template: &Value, ordinal: i64) -> String {
    format!(
        "{}-{}-{}",
        object::name(template),
        object::name(set),
        ordinal
    )
}

/// `isMemberOf`: the pod name's parent is the set's name.
pub fn is_member_of(set: &Value, pod: &Value) -> bool {
    parent_and_ordinal(object::name(pod)).0 == object::name(set)
}

pub fn in_ordinal_range(pod: &Value, set: &Value) -> bool {
    let o = ordinal(pod);
    o >= start_ordinal(set) && o <= end_ordinal(set)
}

pub fn identity_matches(set: &Value, pod: &Value) -> bool {
    identity_matches_named(
        object::name(set),
        object::namespace(set),
        pod,
        object::name(pod),
    )
}

/// `identity_matches` with the set's name and namespace and the pod's name already read
/// (the plan asks it of every pod on every sync).
pub fn identity_matches_named(
    set_name: &str,
    set_namespace: &str,
    pod: &Value,
    name: &str,
) -> bool {
    identity_matches_parts(
        set_name,
        set_namespace,
        name,
        parent_and_ordinal(name),
        object::namespace(pod),
        object::label(pod, POD_NAME_LABEL),
    )
}

/// `identity_matches` from what it reads of the pod: its name, the name's
/// `parent_and_ordinal`, its namespace and its pod-name label.
pub fn identity_matches_parts(
    set_name: &str,
    set_namespace: &str,
    name: &str,
    (parent, ord): (&str, i64),
    namespace: &str,
    pod_name_label: Option<&str>,
) -> bool {
    // `name == pod_name(set, ord)` without formatting it: given the parent matches, the name
    // is that exactly when its digits are the canonical ones (no leading zero).
    let digits = name.get(parent.len() + 1..).unwrap_or("");
    ord >= 0
        && parent == set_name
        && (digits == "0" || !digits.starts_with('0'))
        && namespace == set_namespace
        && pod_name_label == Some(name)
}

pub fn storage_matches(set: &Value, pod: &Value) -> bool {
    let ord = ordinal(pod);
    if ord < 0 {
        return false;
    }
    let volumes = object::get_array(pod, &["spec", "volumes"]);
    claim_templates(set).iter().all(|t| {
        let want = claim_name(set, t, ord);
        volumes.iter().any(|v| {
            object::get_str(v, &["name"]) == Some(object::name(t))
                && object::get_str(v, &["persistentVolumeClaim", "claimName"]) == Some(&want)
        })
    })
}

/// `updateIdentity`: name, namespace and the pod-name and pod-index labels.
pub fn update_identity(set: &Value, pod: &mut Value) {
    let ord = ordinal(pod);
    let name = pod_name(set, ord);
    object::set(pod, &["metadata", "name"], json!(name));
    object::set(
        pod,
        &["metadata", "namespace"],
        json!(object::namespace(set)),
    );
    object::set_label(pod, POD_NAME_LABEL, &name);
    object::set_label(pod, POD_INDEX_LABEL, &ord.to_string());
}

/// `updateStorage`: claim volumes first (template order), then the other template volumes.
pub fn update_storage(set: &Value, pod: &mut Value) {
    let ord = ordinal(pod);
    let templates = claim_templates(set);
    let mut volumes: Vec<Value> = templates
        .iter()
        .map(|t| {
            json!({"name": object::name(t),
                   "persistentVolumeClaim": {"claimName": claim_name(set, t, ord)}})
        })
        .collect();
    for v in object::get_array(pod, &["spec", "volumes"]) {
        let n = object::get_str(v, &["name"]).unwrap_or("");
        if !templates.iter().any(|t| object::name(t) == n) {
            volumes.push(v.clone());
        }
    }
    if volumes.is_empty() {
        object::remove(pod, &["spec", "volumes"]);
    } else {
        object::set(pod, &["spec", "volumes"], Value::Array(volumes));
    }
}

/// What every new pod of one set (as applied to one revision) shares, read from the set
/// once: a scale-up builds many pods from the same template in one sync, and each differs
/// only in its name, hostname, pod-name and pod-index labels and claim volumes. The shared
/// values are cloned into each pod (maps are copy-on-write, so a clone of a map is O(1)).
pub struct NewPodTemplate<'s> {
    set: &'s Value,
    /// The template's labels, plus the revision label when the pod is versioned (the
    /// identity labels are distinct keys, so the order of the inserts does not matter).
    labels: serde_json::Map<String, Value>,
    /// The template's annotations and finalizers (the metadata entries before
    /// `generateName`), in key order.
    meta_head: Vec<(&'static str, Value)>,
    generate_name: Value,
    namespace: Value,
    owner_refs: Value,
    /// The template's spec, if it is an object.
    spec: Option<&'s serde_json::Map<String, Value>>,
    /// `volumes` is left out of a claimless set's pod when it is not a non-empty array.
    drop_volumes: bool,
    subdomain: Option<Value>,
    claimless: bool,
}

impl<'s> NewPodTemplate<'s> {
    /// The template of `set`'s new pods, labelled with `revision` when given.
    pub fn new(set: &'s Value, revision: Option<&str>) -> NewPodTemplate<'s> {
        let template = object::get(set, &["spec", "template"]);
        let template_meta = |f: &str| {
            template
                .and_then(|t| object::get(t, &["metadata", f]))
                .filter(|v| !v.is_null())
        };
        // `object::entry` makes a non-object an object.
        let mut labels = match template_meta("labels") {
            Some(Value::Object(m)) => m.clone(),
            _ => serde_json::Map::new(),
        };
        if let Some(rev) = revision {
            labels.insert(REVISION_LABEL.into(), Value::String(rev.to_string()));
        }
        let mut meta_head = Vec::new();
        if let Some(v) = template_meta("annotations") {
            meta_head.push(("annotations", v.clone()));
        }
        if let Some(v) = template_meta("finalizers") {
            meta_head.push(("finalizers", v.clone()));
        }
        let set_name = object::name(set);
        let mut generate_name = String::with_capacity(set_name.len() + 1);
        generate_name.push_str(set_name);
        generate_name.push('-');
        let spec = match template.and_then(|t| t.get("spec")) {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        };
        let claimless = claim_templates(set).is_empty();
        // `updateStorage` without claim templates keeps the template's volumes and drops an
        // empty (or non-array) `volumes` field.
        let drop_volumes = claimless
            && spec.is_some_and(|m| {
                m.get("volumes")
                    .is_some_and(|v| v.as_array().is_none_or(Vec::is_empty))
            });
        let service = object::get_str(set, &["spec", "serviceName"]).unwrap_or("");
        NewPodTemplate {
            set,
            labels,
            meta_head,
            generate_name: Value::String(generate_name),
            namespace: Value::String(object::namespace(set).to_string()),
            owner_refs: Value::Array(vec![OwnerRef::controller_of(set).to_value()]),
            spec,
            drop_volumes,
            subdomain: (!service.is_empty()).then(|| Value::String(service.to_string())),
            claimless,
        }
    }

    /// The pod with `ordinal`: built map by map in key order (inserts in key order append),
    /// each map written once: `updateIdentity`, the hostname and subdomain and
    /// `updateStorage` as applied to a fresh pod.
    pub fn pod(&self, ordinal: i64) -> Value {
        // `updateIdentity` reads the ordinal back from the name it builds.
        let first_name = pod_name(self.set, ordinal);
        let ord = parent_and_ordinal(&first_name).1;
        let name = if ord == ordinal {
            first_name
        } else {
            pod_name(self.set, ord)
        };
        // Copied once, in key order, with the two identity labels merged in (inserting them
        // into a shared copy of the map would copy it, then grow it); a template label of
        // the same name gives way, as an insert replaces it.
        let mut identity = [
            (POD_INDEX_LABEL, Value::String(ord.to_string())),
            (POD_NAME_LABEL, Value::String(name.clone())),
        ]
        .into_iter()
        .peekable();
        let mut labels: Vec<(String, Value)> = Vec::with_capacity(self.labels.len() + 2);
        for (k, v) in self.labels.iter() {
            while let Some((ik, iv)) = identity.next_if(|(ik, _)| *ik <= k.as_str()) {
                labels.push((ik.to_string(), iv));
            }
            if labels.last().is_none_or(|(last, _)| last != k) {
                labels.push((k.clone(), v.clone()));
            }
        }
        labels.extend(identity.map(|(ik, iv)| (ik.to_string(), iv)));
        // In key order: the map takes the vector as it is.
        let labels: serde_json::Map<String, Value> = labels.into_iter().collect();

        // Maps built from vectors keep their capacity: room for what the create adds (uid,
        // creationTimestamp, resourceVersion; admission's and defaulting's spec fields), so
        // those go in without regrowing the maps.
        let mut meta: Vec<(String, Value)> = Vec::with_capacity(10);
        meta.extend(
            self.meta_head
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone())),
        );
        meta.push(("generateName".into(), self.generate_name.clone()));
        meta.push(("labels".into(), Value::Object(labels)));
        meta.push(("name".into(), Value::String(name.clone())));
        meta.push(("namespace".into(), self.namespace.clone()));
        meta.push(("ownerReferences".into(), self.owner_refs.clone()));
        // In key order: the map takes the vector as it is.
        let meta: serde_json::Map<String, Value> = meta.into_iter().collect();

        let mut spec: serde_json::Map<String, Value> = match self.spec {
            Some(m) => {
                // Room for hostname, subdomain and defaulting's `enableServiceLinks`;
                // admission merges its fields into a new map of its own. (At 18 fields,
                // as once reserved, the block is 1 KB, which glibc serves by its slow path.)
                let mut entries = Vec::with_capacity(m.len() + 3);
                entries.extend(
                    m.iter()
                        .filter(|(k, _)| !(self.drop_volumes && k.as_str() == "volumes"))
                        .map(|(k, v)| (k.clone(), v.clone())),
                );
                entries.into_iter().collect()
            }
            None => serde_json::Map::new(),
        };
        if let Some(s) = &self.subdomain {
            spec.insert("subdomain".into(), s.clone());
        }
        spec.insert("hostname".into(), Value::String(name));

        let mut pod = serde_json::Map::new();
        pod.insert("apiVersion".into(), Value::String("v1".into()));
        pod.insert("kind".into(), Value::String("Pod".into()));
        pod.insert("metadata".into(), Value::Object(meta));
        pod.insert("spec".into(), Value::Object(spec));
        let mut pod = Value::Object(pod);
        if !self.claimless {
            update_storage(self.set, &mut pod);
        }
        pod
    }
}

/// Which set and revision a new pod at an ordinal is built from (S2.2 step 1,
/// `newVersionedStatefulSetPod`, with Go's `A && B || C` precedence kept): the current one
/// below the partition (or, without `rollingUpdate`, below `status.currentReplicas`).
fn versioned_from_current(current_set: &Value, ordinal: i64) -> bool {
    let start = start_ordinal(current_set);
    let status_current = object::get_i64(current_set, &["status", "currentReplicas"]).unwrap_or(0);
    let a_and_b = strategy_type(current_set) == "RollingUpdate"
        && rolling_update(current_set).is_none()
        && ordinal < start + status_current;
    let c = rolling_update(current_set).is_some() && ordinal < start + partition(current_set);
    a_and_b || c
}

/// `newVersionedStatefulSetPod` (S2.2 step 1) for the many new pods of one sync: each pod
/// comes from the current or the update revision (`versioned_from_current`), and each
/// revision's template is read once, when its first pod is built.
pub struct NewVersionedPods<'s> {
    current_set: &'s Value,
    update_set: &'s Value,
    current_revision: &'s str,
    update_revision: &'s str,
    current: std::cell::OnceCell<NewPodTemplate<'s>>,
    update: std::cell::OnceCell<NewPodTemplate<'s>>,
}

impl<'s> NewVersionedPods<'s> {
    pub fn new(
        current_set: &'s Value,
        update_set: &'s Value,
        current_revision: &'s str,
        update_revision: &'s str,
    ) -> NewVersionedPods<'s> {
        NewVersionedPods {
            current_set,
            update_set,
            current_revision,
            update_revision,
            current: std::cell::OnceCell::new(),
            update: std::cell::OnceCell::new(),
        }
    }

    pub fn pod(&self, ordinal: i64) -> Value {
        let template = if versioned_from_current(self.current_set, ordinal) {
            self.current
                .get_or_init(|| NewPodTemplate::new(self.current_set, Some(self.current_revision)))
        } else {
            self.update
                .get_or_init(|| NewPodTemplate::new(self.update_set, Some(self.update_revision)))
        };
        template.pod(ordinal)
    }
}

/// `getPersistentVolumeClaims` in template order (S4.1).
pub fn claims_for_pod(set: &Value, pod: &Value) -> Vec<Value> {
    // Every sync asks this for each Pending pod; most sets have no claim templates.
    if claim_templates(set).is_empty() {
        return Vec::new();
    }
    let ord = ordinal(pod);
    let match_labels = object::get(set, &["spec", "selector", "matchLabels"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    claim_templates(set)
        .iter()
        .map(|t| {
            let mut c = t.clone();
            object::remove(&mut c, &["status"]);
            c["apiVersion"] = json!("v1");
            c["kind"] = json!("PersistentVolumeClaim");
            object::set(
                &mut c,
                &["metadata", "name"],
                json!(claim_name(set, t, ord)),
            );
            object::set(
                &mut c,
                &["metadata", "namespace"],
                json!(object::namespace(set)),
            );
            let labels = object::entry(&mut c, &["metadata", "labels"]);
            if !labels.is_object() {
                *labels = json!({});
            }
            if let Some(m) = labels.as_object_mut() {
                for (k, v) in &match_labels {
                    m.insert(k.clone(), v.clone());
                }
            }
            if object::labels(&c).is_empty() {
                object::remove(&mut c, &["metadata", "labels"]);
            }
            c
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Health (spec §0 definitions)

pub fn phase(pod: &Value) -> &str {
    object::get_str(pod, &["status", "phase"]).unwrap_or("")
}

pub fn is_created(pod: &Value) -> bool {
    !phase(pod).is_empty()
}

pub fn is_terminating(pod: &Value) -> bool {
    object::is_terminating(pod)
}

/// The pod's first `Ready` condition.
pub fn ready_condition(pod: &Value) -> Option<&Value> {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some("Ready"))
}

pub fn is_ready(pod: &Value) -> bool {
    ready_condition(pod).is_some_and(|c| object::get_str(c, &["status"]) == Some("True"))
}

pub fn is_running_and_ready(pod: &Value) -> bool {
    phase(pod) == "Running" && is_ready(pod)
}

/// `podutil.IsPodAvailable`: Ready, and Ready for longer than minReadySeconds (strictly).
pub fn is_available(pod: &Value, min_ready_seconds: i64, now: Time) -> bool {
    if !is_ready(pod) {
        return false;
    }
    if min_ready_seconds == 0 {
        return true;
    }
    ready_since(pod).is_some_and(|t| t.plus_secs(min_ready_seconds as u64) < now)
}

/// When the Ready condition last changed, if known.
pub fn ready_since(pod: &Value) -> Option<Time> {
    ready_condition(pod)
        .and_then(|c| object::get_str(c, &["lastTransitionTime"]))
        .and_then(Time::parse_rfc3339)
}

pub fn is_healthy(pod: &Value) -> bool {
    is_running_and_ready(pod) && !is_terminating(pod)
}

pub fn is_unavailable(pod: &Value, min_ready_seconds: i64, now: Time) -> bool {
    !is_healthy(pod) || !is_available(pod, min_ready_seconds, now)
}

pub fn pod_revision(pod: &Value) -> &str {
    object::label(pod, REVISION_LABEL).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Retention policy owner references (S4.2–S4.5)

fn ref_matches(r: &OwnerRef, owner: &Value, api_version: &str, kind: &str) -> bool {
    r.api_version == api_version && r.kind == kind && r.name == object::name(owner)
}

pub fn has_owner_ref(target: &Value, owner: &Value) -> bool {
    let uid = object::uid(owner);
    object::owner_refs(target).iter().any(|r| r.uid == uid)
}

/// `hasStaleOwnerRef`: a ref to an owner of that kind and name but another UID.
pub fn has_stale_owner_ref(target: &Value, owner: &Value, api_version: &str, kind: &str) -> bool {
    object::owner_refs(target)
        .iter()
        .any(|r| ref_matches(r, owner, api_version, kind) && r.uid != object::uid(owner))
}

/// `hasUnexpectedController`: only when the policy is not Retain/Retain.
pub fn has_unexpected_controller(claim: &Value, set: &Value, pod: &Value) -> bool {
    let (when_deleted, when_scaled) = retention_policy(set);
    if !when_deleted && !when_scaled {
        return false;
    }
    for r in object::owner_refs(claim) {
        if ref_matches(&r, set, "apps/v1", "StatefulSet") {
            if r.uid != object::uid(set) {
                return true;
            }
            continue;
        }
        if ref_matches(&r, pod, "v1", "Pod") {
            if r.uid != object::uid(pod) {
                return true;
            }
            continue;
        }
        if r.controller == Some(true) {
            return true;
        }
    }
    false
}

fn has_non_controller_owner(claim: &Value, set: &Value, pod: &Value) -> bool {
    object::owner_refs(claim).iter().any(|r| {
        (r.uid == object::uid(set) || r.uid == object::uid(pod)) && r.controller != Some(true)
    })
}

/// `isClaimOwnerUpToDate` (table S4.2).
pub fn is_claim_owner_up_to_date(claim: &Value, set: &Value, pod: &Value) -> bool {
    if has_stale_owner_ref(claim, set, "apps/v1", "StatefulSet")
        || has_stale_owner_ref(claim, pod, "v1", "Pod")
    {
        return false;
    }
    if has_unexpected_controller(claim, set, pod) {
        return !(has_owner_ref(claim, set) || has_owner_ref(claim, pod));
    }
    if has_non_controller_owner(claim, set, pod) {
        return false;
    }
    let scaled_down = !in_ordinal_range(pod, set);
    match retention_policy(set) {
        (false, false) => !(has_owner_ref(claim, set) || has_owner_ref(claim, pod)),
        (true, false) => has_owner_ref(claim, set) && !has_owner_ref(claim, pod),
        (false, true) => !has_owner_ref(claim, set) && scaled_down == has_owner_ref(claim, pod),
        (true, true) => {
            scaled_down != has_owner_ref(claim, set) && scaled_down == has_owner_ref(claim, pod)
        }
    }
}

fn add_controller_ref(refs: &mut Vec<OwnerRef>, owner: &Value, api_version: &str, kind: &str) {
    if refs.iter().any(|r| r.uid == object::uid(owner)) {
        return;
    }
    refs.push(OwnerRef {
        api_version: api_version.into(),
        kind: kind.into(),
        name: object::name(owner).into(),
        uid: object::uid(owner).into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    });
}

/// `updateClaimOwnerRefForSetAndPod`: scrub our refs, then add what the policy wants.
pub fn update_claim_owner_refs(claim: &mut Value, set: &Value, pod: &Value) {
    let unexpected = has_unexpected_controller(claim, set, pod);
    let mut refs: Vec<OwnerRef> = object::owner_refs(claim)
        .into_iter()
        .filter(|r| {
            !ref_matches(r, set, "apps/v1", "StatefulSet") && !ref_matches(r, pod, "v1", "Pod")
        })
        .collect();
    if !unexpected {
        let scaled_down = !in_ordinal_range(pod, set);
        match retention_policy(set) {
            (false, false) => {}
            (true, false) => add_controller_ref(&mut refs, set, "apps/v1", "StatefulSet"),
            (false, true) => {
                if scaled_down {
                    add_controller_ref(&mut refs, pod, "v1", "Pod");
                }
            }
            (true, true) => {
                if scaled_down {
                    add_controller_ref(&mut refs, pod, "v1", "Pod");
                } else {
                    add_controller_ref(&mut refs, set, "apps/v1", "StatefulSet");
                }
            }
        }
    }
    object::set_owner_refs(claim, &refs);
}

// ---------------------------------------------------------------------------------------------
// Revisions (S3.3–S3.5)

/// `getPatch`: `{"spec":{"template":{...,"$patch":"replace"}}}`. Upstream re-marshals through
/// `map[string]interface{}`, so keys come out sorted, as in our `Value`s.
pub fn revision_patch(set: &Value) -> Value {
    let mut template = object::get(set, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    if let Some(m) = template.as_object_mut() {
        m.insert("$patch".into(), json!("replace"));
        // A 1.34+ API server omits a zero creationTimestamp (kubernetes#130989).
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            if meta.get("creationTimestamp").is_some_and(Value::is_null) {
                meta.remove("creationTimestamp");
            }
        }
        if !m.contains_key("metadata") {
            m.insert("metadata".into(), json!({}));
        }
    }
    // Built map by map: `json!` would copy the whole template again through serde.
    let mut spec = serde_json::Map::new();
    spec.insert("template".into(), template);
    let mut data = serde_json::Map::new();
    data.insert("spec".into(), Value::Object(spec));
    Value::Object(data)
}

/// Whether `data` equals `revision_patch(set)`, compared in place: every sync asks this of
/// the newest revision, and building the patch would copy the whole template each time.
pub fn revision_data_matches(data: Option<&Value>, set: &Value) -> bool {
    let Some(template) = data
        .and_then(Value::as_object)
        .filter(|d| d.len() == 1)
        .and_then(|d| d.get("spec"))
        .and_then(Value::as_object)
        .filter(|s| s.len() == 1)
        .and_then(|s| s.get("template"))
    else {
        return false;
    };
    let Some(Value::Object(want)) = object::get(set, &["spec", "template"]) else {
        // Not an object: the patch is a copy of it (or `{}` made into an object when absent).
        return match object::get(set, &["spec", "template"]) {
            Some(t) => t == template,
            None => *template == revision_patch(set)["spec"]["template"],
        };
    };
    let Some(got) = template.as_object() else {
        return false;
    };
    let expected_len = want.len()
        + usize::from(!want.contains_key("$patch"))
        + usize::from(!want.contains_key("metadata"));
    if got.len() != expected_len {
        return false;
    }
    got.iter().all(|(k, v)| match k.as_str() {
        "$patch" => v.as_str() == Some("replace"),
        "metadata" => match want.get("metadata") {
            None => v.as_object().is_some_and(|m| m.is_empty()),
            Some(Value::Object(meta))
                if meta.get("creationTimestamp").is_some_and(Value::is_null) =>
            {
                v.as_object().is_some_and(|m| {
                    m.len() + 1 == meta.len()
                        && m.iter()
                            .all(|(mk, mv)| mk != "creationTimestamp" && meta.get(mk) == Some(mv))
                })
            }
            Some(meta) => v == meta,
        },
        _ => want.get(k) == Some(v),
    })
}

/// Go `json.Marshal` bytes of a value: sorted keys, no spaces, and `<`, `>`, `&`, U+2028 and
/// U+2029 escaped as Go's encoder does.
pub fn go_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1 (not 1a) 32-bit.
pub fn fnv1_32(bytes: &[u8], mut h: u32) -> u32 {
    for b in bytes {
        h = h.wrapping_mul(16_777_619);
        h ^= u32::from(*b);
    }
    h
}

/// apimachinery `rand.SafeEncodeString` over the bytes of `s`.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| char::from(ALPHANUMS[usize::from(b) % ALPHANUMS.len()]))
        .collect()
}

/// `HashControllerRevision`: FNV-1 over Data.Raw, then the decimal collision count (upstream
/// always passes a non-nil pointer, so "0" is written too), SafeEncoded.
pub fn hash_revision(data: &Value, collision_count: i64) -> String {
    let h = fnv1_32(go_json(data).as_bytes(), 2_166_136_261);
    let h = fnv1_32(collision_count.to_string().as_bytes(), h);
    safe_encode(&h.to_string())
}

/// `ControllerRevisionName`: prefix truncated to 223 characters.
pub fn revision_name(set_name: &str, hash: &str) -> String {
    let prefix: String = set_name.chars().take(223).collect();
    format!("{prefix}-{hash}")
}

/// `newRevision`: a ControllerRevision for the set's current template (name from the hash).
pub fn new_revision(set: &Value, revision: i64, collision_count: i64) -> Value {
    let data = revision_patch(set);
    let hash = hash_revision(&data, collision_count);
    let mut labels = object::get(set, &["spec", "template", "metadata", "labels"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(HISTORY_HASH_LABEL.into(), Value::String(hash.clone()));
    // Built map by map in key order (`json!` would copy the template data, labels and
    // owner reference again through serde).
    let mut meta = serde_json::Map::new();
    let ann = object::annotations(set);
    if !ann.is_empty() {
        meta.insert(
            "annotations".into(),
            Value::Object(
                ann.into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
        );
    }
    meta.insert("labels".into(), Value::Object(labels));
    meta.insert(
        "name".into(),
        Value::String(revision_name(object::name(set), &hash)),
    );
    meta.insert(
        "namespace".into(),
        Value::String(object::namespace(set).to_string()),
    );
    meta.insert(
        "ownerReferences".into(),
        Value::Array(vec![OwnerRef::controller_of(set).to_value()]),
    );
    let mut rev = serde_json::Map::new();
    rev.insert("apiVersion".into(), Value::String("apps/v1".into()));
    rev.insert("data".into(), data);
    rev.insert("kind".into(), Value::String("ControllerRevision".into()));
    rev.insert("metadata".into(), Value::Object(meta));
    rev.insert("revision".into(), Value::from(revision));
    Value::Object(rev)
}

pub fn revision_number(rev: &Value) -> i64 {
    object::get_i64(rev, &["revision"]).unwrap_or(0)
}

/// `EqualRevision`: the data (the hash label is not an integer, so upstream ignores it).
pub fn equal_revision(a: &Value, b: &Value) -> bool {
    a.get("data") == b.get("data")
}

/// `SortControllerRevisions`: by revision, creation time, then name.
pub fn sort_revisions<R: std::borrow::Borrow<Value>>(revs: &mut [R]) {
    kubeplay_shell::sorting::sort_by(revs, |a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        revision_number(a)
            .cmp(&revision_number(b))
            .then_with(|| {
                object::get_str(a, &["metadata", "creationTimestamp"])
                    .cmp(&object::get_str(b, &["metadata", "creationTimestamp"]))
            })
            .then_with(|| object::name(a).cmp(object::name(b)))
    });
}

/// `ApplyRevision`: the set with the revision's template.
pub fn apply_revision(set: &Value, rev: &Value) -> Value {
    let mut out = set.clone();
    if let Some(mut t) = object::get(rev, &["data", "spec", "template"]).cloned() {
        if let Some(m) = t.as_object_mut() {
            m.remove("$patch");
        }
        object::set(&mut out, &["spec", "template"], t);
    }
    out
}

/// `ApplyRevision` without the copy when it would change nothing: the set itself when its
/// template already is the revision's (every sync once a rollout is done).
pub fn apply_revision_shared<'s>(set: &'s Value, rev: &Value) -> std::borrow::Cow<'s, Value> {
    use std::borrow::Cow;
    let Some(t) = object::get(rev, &["data", "spec", "template"]) else {
        return Cow::Borrowed(set);
    };
    let current = object::get(set, &["spec", "template"]);
    let same = match (t, current) {
        (Value::Object(rt), Some(Value::Object(st))) => {
            rt.len() - usize::from(rt.contains_key("$patch")) == st.len()
                && rt
                    .iter()
                    .filter(|(k, _)| k.as_str() != "$patch")
                    .all(|(k, v)| st.get(k) == Some(v))
        }
        (Value::Object(_), _) => false,
        (t, Some(st)) => t == st,
        (_, None) => false,
    };
    if same {
        Cow::Borrowed(set)
    } else {
        Cow::Owned(apply_revision(set, rev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `newStatefulSetPod` step by step, as written before it was built map by map: the
    /// template's fields, then `updateIdentity`, hostname, subdomain and `updateStorage`.
    fn new_pod_step_by_step(set: &Value, ordinal: i64) -> Value {
        let empty = json!({});
        let template = object::get(set, &["spec", "template"]).unwrap_or(&empty);
        let mut meta = serde_json::Map::new();
        meta.insert(
            "generateName".into(),
            json!(format!("{}-", object::name(set))),
        );
        meta.insert("name".into(), json!(pod_name(set, ordinal)));
        meta.insert("namespace".into(), json!(object::namespace(set)));
        for f in ["labels", "annotations", "finalizers"] {
            if let Some(v) = object::get(template, &["metadata", f]).filter(|v| !v.is_null()) {
                meta.insert(f.into(), v.clone());
            }
        }
        let owner = serde_json::to_value(OwnerRef::controller_of(set)).unwrap();
        meta.insert("ownerReferences".into(), json!([owner]));
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                             "spec": template.get("spec").cloned().unwrap_or(json!({}))});
        update_identity(set, &mut pod);
        let name = object::name(&pod).to_string();
        object::set(&mut pod, &["spec", "hostname"], json!(name));
        let service = object::get_str(set, &["spec", "serviceName"]).unwrap_or("");
        if !service.is_empty() {
            object::set(&mut pod, &["spec", "subdomain"], json!(service));
        }
        update_storage(set, &mut pod);
        pod
    }

    #[test]
    fn new_pods_are_the_template_with_identity_and_storage() {
        let sets = [
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                   "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
                   "spec": {"serviceName": "nginx", "template": {
                       "metadata": {"labels": {"app": "nginx"}, "annotations": {"a": "b"}},
                       "spec": {"containers": [{"name": "nginx", "image": "nginx"}],
                                "volumes": [{"name": "cfg", "emptyDir": {}}]}}}}),
            json!({"metadata": {"name": "db", "namespace": "ns"},
                   "spec": {"template": {"metadata": {"labels": null, "finalizers": ["f"]},
                                         "spec": {"volumes": []}}}}),
            json!({"metadata": {"name": "x"}, "spec": {"template": {
                       "metadata": {"labels": "not-a-map"}, "spec": {"volumes": null}}}}),
            json!({"metadata": {"name": "nospec"}}),
            json!({"metadata": {"name": "web", "namespace": "default", "uid": "u2"},
                   "spec": {"serviceName": "", "volumeClaimTemplates": [
                                {"metadata": {"name": "www"}}],
                            "template": {"spec": {"volumes": [
                                {"name": "www", "emptyDir": {}},
                                {"name": "other", "emptyDir": {}}]}}}}),
        ];
        for set in &sets {
            for ordinal in [0, 7, 12, 2_147_483_648] {
                assert_eq!(
                    NewPodTemplate::new(set, None).pod(ordinal),
                    new_pod_step_by_step(set, ordinal),
                    "{set} {ordinal}"
                );
            }
        }
    }

    #[test]
    fn new_pods_come_from_the_current_revision_below_the_partition() {
        let base = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {"serviceName": "nginx", "replicas": 5, "template": {
                "metadata": {"labels": {"app": "nginx", REVISION_LABEL: "stale"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
            "status": {"currentReplicas": 2}});
        let mut update = base.clone();
        update["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        // Each strategy with the bound (after the start ordinal) below which new pods are
        // the current revision's: `A && B` (RollingUpdate without a `rollingUpdate` object:
        // status.currentReplicas) or `C` (a `rollingUpdate` object: its partition).
        let strategies = [
            (json!(null), Some(2)),
            (json!({"type": "OnDelete"}), None),
            (json!({"type": "RollingUpdate"}), Some(2)),
            (
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 3}}),
                Some(3),
            ),
            (
                json!({"type": "RollingUpdate", "rollingUpdate": {}}),
                Some(0),
            ),
            (
                json!({"type": "RollingUpdate", "rollingUpdate": "x"}),
                Some(2),
            ),
        ];
        for (strategy, bound) in strategies {
            for (ordinals, start) in [(json!(null), 0), (json!({"start": 2}), 2)] {
                let mut current = base.clone();
                current["spec"]["updateStrategy"] = strategy.clone();
                current["spec"]["ordinals"] = ordinals.clone();
                let pods = NewVersionedPods::new(&current, &update, "web-a", "web-b");
                for ordinal in 0..8 {
                    let (image, revision) = if bound.is_some_and(|b| ordinal < start + b) {
                        ("nginx", "web-a")
                    } else {
                        ("nginx:2", "web-b")
                    };
                    let pod = pods.pod(ordinal);
                    let case = format!("{strategy} {ordinals} {ordinal}");
                    assert_eq!(
                        object::get_str(&pod, &["spec", "containers", "0", "image"]),
                        Some(image),
                        "{case}"
                    );
                    assert_eq!(
                        object::get_str(&pod, &["metadata", "labels", REVISION_LABEL]),
                        Some(revision),
                        "{case}"
                    );
                    assert_eq!(object::name(&pod), format!("web-{ordinal}"), "{case}");
                }
            }
        }
    }

    #[test]
    fn ordinals_parse_like_the_regex() {
        assert_eq!(parent_and_ordinal("web-0"), ("web", 0));
        assert_eq!(parent_and_ordinal("my-web-12"), ("my-web", 12));
        assert_eq!(parent_and_ordinal("web"), ("", -1));
        assert_eq!(parent_and_ordinal("web-abc"), ("", -1));
        assert_eq!(parent_and_ordinal("web-"), ("", -1));
        assert_eq!(parent_and_ordinal("web-99999999999"), ("", -1));
    }

    #[test]
    fn safe_encode_maps_digits() {
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn fnv1_matches_reference_vectors() {
        // FNV-1 32 of "" is the offset basis; of "a" is 0x050c5d7e.
        assert_eq!(fnv1_32(b"", 2_166_136_261), 0x811c9dc5);
        assert_eq!(fnv1_32(b"a", 2_166_136_261), 0x050c5d7e);
        assert_eq!(fnv1_32(b"foobar", 2_166_136_261), 0x31f0b262);
    }

    #[test]
    fn identity_needs_the_canonical_ordinal() {
        let set = json!({"metadata": {"name": "web", "namespace": "d"}});
        let pod = |name: &str| {
            json!({"metadata": {"name": name, "namespace": "d",
                "labels": {POD_NAME_LABEL: name}}})
        };
        for (name, ok) in [
            ("web-0", true),
            ("web-10", true),
            ("web-00", false),
            ("web-01", false),
            ("web", false),
            ("db-1", false),
            ("é", false),
        ] {
            let p = pod(name);
            let want = ok && object::name(&p) == pod_name(&set, ordinal(&p));
            assert_eq!(identity_matches(&set, &p), want, "{name}");
            assert_eq!(identity_matches(&set, &p), ok, "{name}");
        }
    }

    #[test]
    fn revision_data_matches_is_equality_with_the_patch() {
        let base = json!({"spec": {"template": {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}});
        let mut null_ts = base.clone();
        null_ts["spec"]["template"]["metadata"]["creationTimestamp"] = Value::Null;
        let mut no_meta = base.clone();
        no_meta["spec"]["template"]
            .as_object_mut()
            .unwrap()
            .remove("metadata");
        let mut own_patch = base.clone();
        own_patch["spec"]["template"]["$patch"] = json!("merge");
        let mut scalar = base.clone();
        scalar["spec"]["template"] = json!("x");
        let none = json!({"spec": {}});
        let sets = [base, null_ts, no_meta, own_patch, scalar, none];
        for a in &sets {
            for b in &sets {
                let data = revision_patch(b);
                assert_eq!(
                    revision_data_matches(Some(&data), a),
                    data == revision_patch(a),
                    "{a} vs {b}"
                );
            }
            assert!(!revision_data_matches(None, a));
            assert!(!revision_data_matches(Some(&json!({"spec": 1})), a));
        }
    }

    #[test]
    fn go_json_escapes_html() {
        assert_eq!(
            go_json(&json!({"b": "<a&b>", "a": 1})),
            "{\"a\":1,\"b\":\"\\u003ca\\u0026b\\u003e\"}"
        );
    }
}
