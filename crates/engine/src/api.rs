//! The simulated API server: the only way anything reads or changes cluster state.
//!
//! kubectl, controllers, the kubelet and the HTTP API server all call these methods, which
//! do what kube-apiserver's generic registry does: resolve the kind, default, validate, admit,
//! stamp metadata (uid, resourceVersion, generation, creationTimestamp), enforce optimistic
//! concurrency and graceful deletion with finalizers, and append to the watch log.
//! It owns the virtual clock and the seeded RNG so every write is stamped deterministically.

use crate::error::{ApiError, ApiResult};
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::rng::Rng;
use crate::selector::Selector;
use crate::store::{EventType, Store, Stored};
use crate::time::Time;
use crate::{admission, defaults, patch, validation};
use serde_json::{json, Value};
use std::sync::Arc;

/// How dependents are treated when their owner is deleted (`propagationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `None` uses the object's default (a pod's terminationGracePeriodSeconds).
    pub grace_period_seconds: Option<i64>,
    /// `None` means background.
    pub propagation: Option<Propagation>,
    /// `preconditions.uid`
    pub uid: Option<String>,
    pub dry_run: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
}

/// What a delete call did.
#[derive(Clone, Debug)]
pub enum Deleted {
    /// The object is gone (the returned value is its final state).
    Removed(Arc<Object>),
    /// The object now has a deletionTimestamp and waits for grace or finalizers.
    Terminating(Arc<Object>),
}

impl Deleted {
    pub fn object(&self) -> &Arc<Object> {
        match self {
            Deleted::Removed(o) | Deleted::Terminating(o) => o,
        }
    }
}

pub const FINALIZER_ORPHAN: &str = "orphan";
pub const FINALIZER_FOREGROUND: &str = "foregroundDeletion";

#[derive(Clone, Debug)]
pub struct Api {
    pub store: Store,
    /// The virtual clock. Only `Cluster` advances it.
    pub now: Time,
    /// The cluster's single RNG.
    pub rng: Rng,
    warnings: Vec<String>,
    event_seq: u64,
    pub(crate) event_cache: crate::events::EventCache,
}

/// Kinds whose `status` is a subresource: writes to the main resource keep the old status.
pub fn has_status_subresource(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Pod
            | Kind::Service
            | Kind::Node
            | Kind::Namespace
            | Kind::PersistentVolumeClaim
            | Kind::PersistentVolume
            | Kind::StatefulSet
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::DaemonSet
            | Kind::PodDisruptionBudget
    )
}

/// Kinds that carry `metadata.generation`, bumped on spec changes.
pub fn has_generation(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Pod
            | Kind::StatefulSet
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::DaemonSet
            | Kind::PodDisruptionBudget
    )
}

impl Api {
    pub fn new(seed: u64, start: Time) -> Api {
        Api {
            store: Store::new(),
            now: start,
            rng: Rng::new(seed),
            warnings: Vec::new(),
            event_seq: 0,
            event_cache: Default::default(),
        }
    }

    /// Warnings the last calls produced (`Warning:` lines in kubectl), emptied by reading.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn warn(&mut self, w: impl Into<String>) {
        let w = w.into();
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    pub(crate) fn next_event_seq(&mut self) -> u64 {
        self.event_seq += 1;
        self.event_seq
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> ApiResult<Arc<Object>> {
        let ns = if kind.namespaced() { namespace } else { "" };
        self.store
            .get(kind, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    pub fn try_get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Object>> {
        let ns = if kind.namespaced() { namespace } else { "" };
        self.store.get(kind, ns, name)
    }

    /// Objects of `kind` in `namespace` (`None`: all namespaces) matching `selector`.
    pub fn list(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        selector: &Selector,
    ) -> Vec<Arc<Object>> {
        let ns = if kind.namespaced() { namespace } else { None };
        self.store
            .list(kind, ns)
            .filter(|o| selector.matches_object(o))
            .cloned()
            .collect()
    }

    /// Resolves an object's kind from `apiVersion`/`kind`, noting deprecated versions.
    pub fn kind_of(&mut self, obj: &Object) -> ApiResult<(Kind, Option<String>)> {
        let av = object::api_version(obj);
        let k = object::kind(obj);
        if k.is_empty() {
            return Err(ApiError::bad_request(
                "Object 'Kind' is missing in the request body",
            ));
        }
        match Kind::from_api_version_kind(av, k) {
            Some((kind, false)) => Ok((kind, None)),
            Some((kind, true)) => Ok((kind, Some(av.to_string()))),
            None => Err(ApiError::bad_request(format!(
                "no kind \"{k}\" is registered for version \"{av}\" in scheme \"pkg/api/legacyscheme/scheme.go:30\""
            ))),
        }
    }

    pub fn create(&mut self, obj: Object) -> ApiResult<Arc<Object>> {
        self.create_with(obj, &WriteOptions::default())
    }

    pub fn create_with(&mut self, mut obj: Object, opts: &WriteOptions) -> ApiResult<Arc<Object>> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not an object",
            ));
        }
        let (kind, legacy) = self.kind_of(&obj)?;
        crate::decoding::check_body(kind, &obj)?;
        if let Some(av) = &legacy {
            self.warn(deprecation_warning(av, kind));
        }
        stamp_api_version(kind, &mut obj);
        if kind.namespaced() {
            if object::namespace(&obj).is_empty() {
                object::set(&mut obj, &["metadata", "namespace"], json!("default"));
            }
        } else {
            object::remove(&mut obj, &["metadata", "namespace"]);
        }
        if object::name(&obj).is_empty() {
            match object::get_str(&obj, &["metadata", "generateName"]).map(str::to_string) {
                Some(prefix) if !prefix.is_empty() => {
                    let suffix = self.rng.name_suffix(5);
                    object::set(
                        &mut obj,
                        &["metadata", "name"],
                        json!(format!("{prefix}{suffix}")),
                    );
                }
                _ => {
                    return Err(ApiError::invalid(
                        kind,
                        "",
                        vec![crate::error::FieldError::required(
                            "metadata.name",
                            "name or generateName is required",
                        )],
                    ))
                }
            }
        }
        let ns = object::namespace(&obj).to_string();
        let name = object::name(&obj).to_string();
        if kind.namespaced() {
            match self.store.get(Kind::Namespace, "", &ns) {
                None => return Err(ApiError::not_found(Kind::Namespace, &ns)),
                Some(n) if object::is_terminating(n) => {
                    return Err(ApiError::forbidden(format!(
                        "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        kind.group_resource()
                    )))
                }
                _ => {}
            }
        }
        // Server-set metadata is never taken from the client on create. Looked for first:
        // a body rarely carries any, and removing writes (copies) the metadata.
        const SERVER_SET: [&str; 8] = [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "selfLink",
        ];
        let carries_server_set = obj
            .get("metadata")
            .and_then(Value::as_object)
            .is_some_and(|m| SERVER_SET.iter().any(|f| object::field(m, f).is_some()));
        if carries_server_set {
            for field in SERVER_SET {
                object::remove(&mut obj, &["metadata", field]);
            }
        }
        defaults::apply(kind, &mut obj, legacy.as_deref());
        validation::validate_create(kind, &obj)
            .map_err(|errs| ApiError::invalid(kind, &name, errs))?;
        admission::admit_create(self, kind, &mut obj)?;
        if opts.dry_run {
            if self.store.get(kind, &ns, &name).is_some() {
                return Err(ApiError::already_exists(kind, &name));
            }
            let uid = self.rng.uuid();
            stamp_created(&mut obj, kind, uid, self.now, None);
            return Ok(Arc::new(obj));
        }
        // One search of the store both finds the name free and stores the object; its uid
        // is drawn only then, as a create that finds the name taken draws none.
        let (rng, now) = (&mut self.rng, self.now);
        let created = self.store.create_vacant(kind, &ns, name, now, |rv, _| {
            let uid = rng.uuid();
            stamp_created(&mut obj, kind, uid, now, Some(rv));
            Stored::Json(Arc::new(obj))
        });
        match created {
            Ok(stored) => Ok(stored.json().clone()),
            Err(name) => Err(ApiError::already_exists(kind, &name)),
        }
    }

    /// `create` for an Event the engine built itself in its final form: the namespace,
    /// name validation and existence checks and the stamping of `create`, with the same
    /// RNG draw, without the decoding check, defaulting and admission that a well-formed
    /// engine Event passes unchanged. `build` makes the Event record from its name, its
    /// resourceVersion and its uid (its creationTimestamp is `self.now`, its namespace
    /// `namespace`), and is called only once the name is known to be free. The record is
    /// stored as it is: its JSON is made when something reads it.
    pub(crate) fn create_built(
        &mut self,
        namespace: &str,
        name: String,
        build: impl FnOnce(&str, u64, String) -> crate::events::EventRecord,
    ) -> ApiResult<()> {
        let kind = Kind::Event;
        match self.store.get(Kind::Namespace, "", namespace) {
            None => return Err(ApiError::not_found(Kind::Namespace, namespace)),
            Some(n) if object::is_terminating(n) => {
                return Err(ApiError::forbidden(format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                    kind.group_resource()
                )))
            }
            _ => {}
        }
        // `validate_create` of such an Event checks only its name (it has no labels, and
        // Events have no kind-specific checks): a name that passes here passes there, and
        // one that fails gets there the errors of the full check.
        if !validation::dns1123_subdomain_errors(&name).is_empty() {
            validation::validate_create(kind, &json!({"metadata": {"name": name}}))
                .map_err(|errs| ApiError::invalid(kind, &name, errs))?;
        }
        let rng = &mut self.rng;
        let created = self
            .store
            .create_vacant(kind, namespace, name, self.now, |rv, name| {
                let uid = rng.uuid();
                Stored::Event(Arc::new(build(name, rv, uid)))
            });
        created
            .map(drop)
            .map_err(|name| ApiError::already_exists(kind, &name))
    }

    /// `update` for an object the engine changed itself from the stored version `old`
    /// (an Event's count and times), keeping only what `update` does to such an object:
    /// the resourceVersion, the no-op check and the write. The caller must have kept every
    /// server-set field of `old` and changed no spec.
    pub(crate) fn update_built(
        &mut self,
        kind: Kind,
        old: &Object,
        mut new: Object,
    ) -> ApiResult<Arc<Object>> {
        if new == *old {
            if let Some(stored) = self
                .store
                .get(kind, object::namespace(old), object::name(old))
            {
                return Ok(stored.clone());
            }
        }
        let ns = object::namespace(old).to_string();
        let name = object::name(old).to_string();
        if self.store.get(kind, &ns, &name).is_none() {
            return Err(ApiError::not_found(kind, &name));
        }
        validation::validate_update(kind, old, &new)
            .map_err(|errs| ApiError::invalid(kind, &name, errs))?;
        let rv = self.store.next_resource_version();
        object::set(
            &mut new,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        Ok(self
            .store
            .put_versioned(kind, new, rv, EventType::Modified, self.now))
    }

    pub fn update(&mut self, obj: Object) -> ApiResult<Arc<Object>> {
        self.write(obj, false, &WriteOptions::default())
    }

    pub fn update_with(&mut self, obj: Object, opts: &WriteOptions) -> ApiResult<Arc<Object>> {
        self.write(obj, false, opts)
    }

    /// Writes only `status` (the `/status` subresource); everything else is kept.
    pub fn update_status(&mut self, obj: Object) -> ApiResult<Arc<Object>> {
        self.write(obj, true, &WriteOptions::default())
    }

    /// Writes `status` as the status of `obj`, an object as read from the store (this or an
    /// older version of it): exactly `update_status(object::status_update_body(obj, status))`
    /// (the conflict check against `obj`'s resourceVersion, the errors, the resourceVersion,
    /// the watch event and the stored object are the same) without building that body and
    /// decoding it. For the controllers' status writes, thousands per scale-up.
    pub fn write_status(&mut self, obj: &Object, status: Value) -> ApiResult<Arc<Object>> {
        // The body `status_update_body` builds holds `obj`'s apiVersion, kind, name, namespace
        // and resourceVersion, and the status. Its kind resolves as `obj`'s does; its decoding
        // check (`decoding::check_body`) reads only its metadata's name and namespace, which
        // pass when they are strings (it never types a status or a resourceVersion: the test
        // `status_bodies_decode_whatever_their_status` pins that). Anything else, a deprecated
        // apiVersion (a warning) and a Deployment (annotations taken from the body) go the
        // general way.
        // The metadata is found once and the three fields read from it.
        let meta = obj.get("metadata").and_then(Value::as_object);
        let meta_field = |f: &str| meta.and_then(|m| object::field(m, f));
        let (name, namespace) = (meta_field("name"), meta_field("namespace"));
        let plain = |v: Option<&Value>| matches!(v, None | Some(Value::String(_)));
        let kind = match self.kind_of(obj) {
            Ok((kind, None)) if kind != Kind::Deployment && plain(name) && plain(namespace) => kind,
            _ => return self.update_status(object::status_update_body(obj, status)),
        };
        fn text(v: Option<&Value>) -> &str {
            v.and_then(Value::as_str).unwrap_or("")
        }
        let old = self.stored_for_write(
            kind,
            text(namespace),
            text(name),
            text(meta_field("resourceVersion")),
        )?;
        let new = with_status(&old, Some(status));
        self.commit_status(kind, old, new, &WriteOptions::default())
    }

    /// The stored object a write of `kind` `namespace`/`name` replaces, if `sent_rv` (the
    /// body's resourceVersion; empty: none sent) is still its resourceVersion.
    fn stored_for_write(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
        sent_rv: &str,
    ) -> ApiResult<Arc<Object>> {
        let ns = if !kind.namespaced() {
            ""
        } else if namespace.is_empty() {
            "default"
        } else {
            namespace
        };
        let old = self
            .store
            .get(kind, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        if !sent_rv.is_empty()
            && sent_rv != object::get_str(&old, &["metadata", "resourceVersion"]).unwrap_or("")
        {
            return Err(ApiError::conflict(kind, name));
        }
        Ok(old)
    }

    /// The status-subresource write of `new` (the stored `old` with another status, and for
    /// a Deployment the body's annotations): validation, then `commit`.
    fn commit_status(
        &mut self,
        kind: Kind,
        old: Arc<Object>,
        new: Object,
        opts: &WriteOptions,
    ) -> ApiResult<Arc<Object>> {
        validation::validate_status_update(kind, &old, &new)
            .map_err(|errs| ApiError::invalid(kind, object::name(&old), errs))?;
        self.commit(kind, old, new, true, opts)
    }

    fn write(
        &mut self,
        mut obj: Object,
        status_only: bool,
        opts: &WriteOptions,
    ) -> ApiResult<Arc<Object>> {
        let (kind, legacy) = self.kind_of(&obj)?;
        crate::decoding::check_body(kind, &obj)?;
        if let Some(av) = &legacy {
            self.warn(deprecation_warning(av, kind));
        }
        stamp_api_version(kind, &mut obj);
        let old = self.stored_for_write(
            kind,
            object::namespace(&obj),
            object::name(&obj),
            object::get_str(&obj, &["metadata", "resourceVersion"]).unwrap_or(""),
        )?;
        if status_only {
            // The stored object with the sent status (moved, not copied). Its metadata is
            // the stored object's (only a Deployment's annotations are taken from the body),
            // so there is nothing to copy.
            let mut new = with_status(&old, obj.as_object_mut().and_then(|m| m.remove("status")));
            // The Deployment status strategy keeps only spec and labels from the stored
            // object, so the controller writes its revision annotation with the status.
            if kind == Kind::Deployment {
                match object::get(&obj, &["metadata", "annotations"]) {
                    Some(a) => object::set(&mut new, &["metadata", "annotations"], a.clone()),
                    None => {
                        object::remove(&mut new, &["metadata", "annotations"]);
                    }
                }
            }
            return self.commit_status(kind, old, new, opts);
        }
        // The stored object's key is its own namespace and name (`Store::put`): borrowed
        // from it, they need no copies.
        let stored = old.clone();
        let (ns, name) = (object::namespace(&stored), object::name(&stored));
        let mut new = obj;
        if has_status_subresource(kind) {
            match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    object::remove(&mut new, &["status"]);
                }
            }
        }
        // Server-owned metadata always comes from the stored object.
        if kind.namespaced() {
            object::set(&mut new, &["metadata", "namespace"], json!(ns));
        }
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match object::get(&old, &["metadata", field]) {
                Some(v) => object::set(&mut new, &["metadata", field], v.clone()),
                None => {
                    object::remove(&mut new, &["metadata", field]);
                }
            }
        }
        object::set(
            &mut new,
            &["metadata", "resourceVersion"],
            old["metadata"]["resourceVersion"].clone(),
        );
        defaults::apply(kind, &mut new, legacy.as_deref());
        validation::validate_update(kind, &old, &new)
            .map_err(|errs| ApiError::invalid(kind, name, errs))?;
        admission::admit_update(self, kind, &old, &mut new)?;
        if has_generation(kind) && old.get("spec") != new.get("spec") {
            let g = object::generation(&old) + 1;
            object::set(&mut new, &["metadata", "generation"], json!(g));
        }
        self.commit(kind, old, new, false, opts)
    }

    /// Stores `new` over `old` (validated and admitted) with the next resourceVersion and
    /// its watch event, unless nothing changed (then `old` is the answer, as the API server
    /// answers a no-op update); a terminating object without finalizers and grace goes away.
    fn commit(
        &mut self,
        kind: Kind,
        old: Arc<Object>,
        mut new: Object,
        status_only: bool,
        opts: &WriteOptions,
    ) -> ApiResult<Arc<Object>> {
        // A status write copies everything but the status from the stored object (metadata
        // too, except a Deployment's annotations), so only the status can differ (comparing
        // it alone skips the spec and metadata, the biggest parts).
        let unchanged = if status_only && kind != Kind::Deployment {
            new.get("status") == old.get("status")
        } else {
            new == *old
        };
        if unchanged {
            return Ok(old);
        }
        if opts.dry_run {
            return Ok(Arc::new(new));
        }
        let rv = self.store.next_resource_version();
        set_resource_version(&mut new, rv.to_string());
        if object::is_terminating(&new)
            && object::finalizers(&new).is_empty()
            && object::get_i64(&new, &["metadata", "deletionGracePeriodSeconds"]).unwrap_or(0) == 0
        {
            let (ns, name) = (object::namespace(&old), object::name(&old));
            self.store.remove(kind, ns, name, new.clone(), self.now);
            return Ok(Arc::new(new));
        }
        Ok(self
            .store
            .put_versioned(kind, new, rv, EventType::Modified, self.now))
    }

    /// Applies a patch to the stored object and writes the result as an update.
    pub fn patch(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch_body: &Value,
    ) -> ApiResult<Arc<Object>> {
        self.patch_with(
            kind,
            namespace,
            name,
            patch_type,
            patch_body,
            false,
            &WriteOptions::default(),
        )
    }

    /// As `patch`; `status` patches the `/status` subresource instead of the main resource.
    #[allow(clippy::too_many_arguments)]
    pub fn patch_with(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        patch_type: PatchType,
        patch_body: &Value,
        status: bool,
        opts: &WriteOptions,
    ) -> ApiResult<Arc<Object>> {
        let current = self.get(kind, namespace, name)?;
        let mut target = (*current).clone();
        match patch_type {
            PatchType::Json => patch::json_patch(&mut target, patch_body)?,
            PatchType::Merge => patch::merge_patch(&mut target, patch_body),
            PatchType::StrategicMerge => {
                patch::strategic_merge_patch(kind, &mut target, patch_body)?
            }
        }
        // A merge patch that is not an object replaces the whole document (RFC 7386); the
        // result then no longer decodes as an object.
        if !target.is_object() {
            let shown = match &target {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                _ => "null",
            };
            return Err(ApiError::bad_request(format!(
                "json: cannot unmarshal {shown} into Go value of type map[string]interface {{}}"
            )));
        }
        // A patch never changes identity; a patch that set a stale resourceVersion conflicts.
        if object::get(&target, &["metadata", "resourceVersion"])
            == object::get(&current, &["metadata", "resourceVersion"])
        {
            object::remove(&mut target, &["metadata", "resourceVersion"]);
        }
        target["apiVersion"] = json!(kind.api_version());
        target["kind"] = json!(kind.name());
        if status {
            self.write(target, true, opts)
        } else {
            self.write(target, false, opts)
        }
    }

    /// Emulates `POST pods/<name>/binding` (what kube-scheduler calls): sets `spec.nodeName`
    /// and the `PodScheduled=True` condition in one write, so watchers see exactly one
    /// MODIFIED event and one resourceVersion bump. Like the pod registry's binding storage it
    /// goes around the pod update strategy (a plain update may not change `spec.nodeName`),
    /// and it refuses pods that are already bound, being deleted, or still gated.
    pub fn bind_pod(&mut self, namespace: &str, name: &str, node: &str) -> ApiResult<Arc<Object>> {
        let old = self.get(Kind::Pod, namespace, name)?;
        let refuse = |why: String| ApiError {
            code: 409,
            reason: "Conflict".to_string(),
            message: format!("Operation cannot be fulfilled on pods/binding \"{name}\": {why}"),
            name: name.to_string(),
            group: String::new(),
            kind: "pods/binding".to_string(),
            causes: Vec::new(),
        };
        if object::is_terminating(&old) {
            return Err(refuse(format!(
                "pod {name} is being deleted, cannot be assigned to a host"
            )));
        }
        let bound = object::get_str(&old, &["spec", "nodeName"]).unwrap_or("");
        if !bound.is_empty() {
            return Err(refuse(format!(
                "pod {name} is already assigned to node \"{bound}\""
            )));
        }
        if !object::get_array(&old, &["spec", "schedulingGates"]).is_empty() {
            return Err(refuse(format!(
                "pod {name} has non-empty .spec.schedulingGates"
            )));
        }
        // Each changed map (the root, spec, status and metadata) is copied once, by the
        // first write through it; the conditions are changed in place in the status's copy.
        let mut pod = (*old).clone();
        // The spec's copy gains nodeName: one more entry, not double the block (a defaulted
        // pod's spec doubled from 15 to 30 entries, a 1.7 KB chunk for every bind; glibc
        // consolidates its fast bins before each allocation of 1 KiB or more).
        if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
            if !spec.contains_key("nodeName") {
                spec.reserve_exact(1);
            }
        }
        object::set(
            &mut pod,
            &["spec", "nodeName"],
            Value::String(node.to_string()),
        );
        // podutil.UpdatePodCondition: lastTransitionTime moves only when the status changes.
        let now = self.now.rfc3339();
        let conds = object::entry(&mut pod, &["status", "conditions"]);
        if !conds.is_array() {
            *conds = Value::Array(Vec::new());
        }
        let conds = match conds.as_array_mut() {
            Some(c) => c,
            None => unreachable!("made an array just above"),
        };
        match conds
            .iter_mut()
            .find(|c| object::get_str(c, &["type"]) == Some("PodScheduled"))
        {
            Some(c) => {
                if object::get_str(c, &["status"]) != Some("True") {
                    c["lastTransitionTime"] = Value::String(now);
                }
                c["status"] = json!("True");
                c["lastProbeTime"] = Value::Null;
                if let Some(m) = c.as_object_mut() {
                    m.remove("reason");
                    m.remove("message");
                }
            }
            None => {
                // Inserted in key order, so every key is appended.
                let mut c = serde_json::Map::with_capacity(4);
                c.insert("lastProbeTime".to_string(), Value::Null);
                c.insert("lastTransitionTime".to_string(), Value::String(now));
                c.insert("status".to_string(), Value::String("True".to_string()));
                c.insert(
                    "type".to_string(),
                    Value::String("PodScheduled".to_string()),
                );
                conds.push(Value::Object(c));
            }
        }
        let rv = self.store.next_resource_version();
        object::set(
            &mut pod,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        Ok(self
            .store
            .put_versioned(Kind::Pod, pod, rv, EventType::Modified, self.now))
    }

    pub fn delete(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Deleted> {
        let ns = if kind.namespaced() { namespace } else { "" };
        let old = self
            .store
            .get(kind, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        if let Some(uid) = &opts.uid {
            if uid != object::uid(&old) {
                return Err(ApiError {
                    message: format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        object::uid(&old)
                    ),
                    ..ApiError::conflict(kind, name)
                });
            }
        }
        let mut obj = (*old).clone();
        // Graceful deletion applies to scheduled, non-terminal pods only (pod strategy
        // CheckGracefulDelete); every other object is deleted at once unless finalizers hold it.
        let mut grace = 0i64;
        if kind == Kind::Pod {
            let scheduled =
                object::get_str(&obj, &["spec", "nodeName"]).is_some_and(|n| !n.is_empty());
            let terminal = matches!(
                object::get_str(&obj, &["status", "phase"]),
                Some("Succeeded" | "Failed")
            );
            grace = opts.grace_period_seconds.unwrap_or_else(|| {
                object::get_i64(&obj, &["spec", "terminationGracePeriodSeconds"]).unwrap_or(30)
            });
            if !scheduled || terminal {
                grace = 0;
            }
            grace = grace.max(0);
        }
        let mut finalizers = object::finalizers(&obj);
        let propagation = opts.propagation.unwrap_or(Propagation::Background);
        let already_terminating = object::is_terminating(&obj);
        if !already_terminating || !finalizers.is_empty() {
            let add = match propagation {
                Propagation::Orphan => Some(FINALIZER_ORPHAN),
                Propagation::Foreground => Some(FINALIZER_FOREGROUND),
                Propagation::Background => None,
            };
            if let Some(f) = add {
                if !already_terminating && !finalizers.iter().any(|x| x == f) {
                    finalizers.push(f.to_string());
                    object::set(&mut obj, &["metadata", "finalizers"], json!(finalizers));
                }
            }
        }
        if opts.dry_run {
            return Ok(Deleted::Removed(old));
        }
        if already_terminating {
            // The registry's BeforeDelete: a pending deletion may only be shortened; a stored
            // grace of 0 (or none) means delete now, unless finalizers still hold the object.
            let stored =
                object::get_i64(&obj, &["metadata", "deletionGracePeriodSeconds"]).unwrap_or(0);
            if !finalizers.is_empty() {
                return Ok(Deleted::Terminating(old));
            }
            if stored == 0 {
                return Ok(Deleted::Removed(self.remove_now(kind, ns, name, obj)));
            }
            if grace >= stored {
                return Ok(Deleted::Terminating(old));
            }
            let until = object::deletion_timestamp(&obj)
                .and_then(Time::parse_rfc3339)
                .map_or(self.now, |t| Time(t.0.saturating_sub(stored as u64 * 1000)))
                .plus_secs(grace as u64);
            object::set(
                &mut obj,
                &["metadata", "deletionTimestamp"],
                json!(until.rfc3339()),
            );
            object::set(
                &mut obj,
                &["metadata", "deletionGracePeriodSeconds"],
                json!(grace),
            );
        } else if kind == Kind::Pod || !finalizers.is_empty() {
            // Pods always take the graceful path (their strategy's CheckGracefulDelete says
            // yes, with grace 0 when unscheduled or terminal); other kinds only when a finalizer
            // keeps them. Either way the deletion is first written as an update.
            object::set(
                &mut obj,
                &["metadata", "deletionTimestamp"],
                json!(self.now.plus_secs(grace as u64).rfc3339()),
            );
            object::set(
                &mut obj,
                &["metadata", "deletionGracePeriodSeconds"],
                json!(grace),
            );
            if has_generation(kind) {
                let g = object::generation(&obj) + 1;
                object::set(&mut obj, &["metadata", "generation"], json!(g));
            }
        } else {
            return Ok(Deleted::Removed(self.remove_now(kind, ns, name, obj)));
        }
        // Write the graceful update (watchers see MODIFIED), then remove the object at once when
        // nothing is left to wait for (watchers then see DELETED), as the registry store does.
        let rv = self.store.next_resource_version();
        object::set(
            &mut obj,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        let updated =
            self.store
                .put_versioned(kind, obj.clone(), rv, EventType::Modified, self.now);
        if grace == 0 && finalizers.is_empty() {
            return Ok(Deleted::Removed(self.remove_now(kind, ns, name, obj)));
        }
        Ok(Deleted::Terminating(updated))
    }

    /// Drops one finalizer from `obj` (a controller finishing its part of a deletion); when it
    /// was the last one on a terminating object, the update removes the object.
    pub fn remove_finalizer(&mut self, obj: &Object, finalizer: &str) -> ApiResult<Arc<Object>> {
        let fins: Vec<String> = object::finalizers(obj)
            .into_iter()
            .filter(|f| f != finalizer)
            .collect();
        let mut o = obj.clone();
        if fins.is_empty() {
            object::remove(&mut o, &["metadata", "finalizers"]);
        } else {
            object::set(&mut o, &["metadata", "finalizers"], json!(fins));
        }
        self.update(o)
    }

    /// Removes an object from the store with a fresh resourceVersion on its DELETED event.
    fn remove_now(&mut self, kind: Kind, ns: &str, name: &str, mut obj: Object) -> Arc<Object> {
        let rv = self.store.next_resource_version();
        object::set(
            &mut obj,
            &["metadata", "resourceVersion"],
            Value::String(rv.to_string()),
        );
        self.store.remove(kind, ns, name, obj.clone(), self.now);
        Arc::new(obj)
    }
}

/// Sets `apiVersion` to the kind's served version (a legacy or odd spelling is rewritten),
/// leaving a body that says it already alone: no string to build, no map to copy.
/// The stored object `old` with `status` as its status (none: without one).
fn with_status(old: &Object, status: Option<Value>) -> Object {
    let mut new = old.clone();
    match (new.as_object_mut(), status) {
        // A stored object has a status nearly always: its entry takes the new one in place
        // (the map is copied once, its key is not, nothing moves).
        (Some(m), Some(s)) => match m.get_mut("status") {
            Some(slot) => *slot = s,
            None => {
                m.insert("status".to_string(), s);
            }
        },
        (Some(m), None) => {
            m.remove("status");
        }
        (None, _) => {}
    }
    new
}

/// Sets `metadata.resourceVersion` (as `object::set` does), finding each map once.
fn set_resource_version(obj: &mut Object, rv: String) {
    match obj.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(meta) => match meta.get_mut("resourceVersion") {
            Some(slot) => *slot = Value::String(rv),
            None => {
                meta.insert("resourceVersion".to_string(), Value::String(rv));
            }
        },
        None => object::set(obj, &["metadata", "resourceVersion"], Value::String(rv)),
    }
}

fn stamp_api_version(kind: Kind, obj: &mut Object) {
    let info = kind.info();
    let current = object::api_version(obj);
    let already = if info.group.is_empty() {
        current == info.version
    } else {
        current.len() == info.group.len() + 1 + info.version.len()
            && current.starts_with(info.group)
            && current[info.group.len()..].starts_with('/')
            && current.ends_with(info.version)
    };
    if !already {
        obj["apiVersion"] = Value::String(kind.api_version());
    }
}

/// The API server's warning for a deprecated group/version (sent as a `Warning:` header).
pub fn deprecation_warning(api_version: &str, kind: Kind) -> String {
    let (deprecated, removed) = match (api_version, kind) {
        ("apps/v1beta1", _) => ("1.9", "1.16"),
        ("apps/v1beta2", _) => ("1.9", "1.16"),
        ("policy/v1beta1", _) => ("1.21", "1.25"),
        _ => ("1.9", "1.16"),
    };
    format!(
        "{api_version} {} is deprecated in v{deprecated}+, unavailable in v{removed}+; use {} {}",
        kind.name(),
        kind.api_version(),
        kind.name()
    )
}

/// Stamps the server-set metadata of a new object: `uid`, `creationTimestamp`, `generation`
/// (for kinds that have one) and, unless a dry run, `resourceVersion`. The metadata map is
/// merged with them in one pass that moves its entries (it is nearly always this object's
/// own), rather than grown and shifted by one insert after another.
fn stamp_created(obj: &mut Value, kind: Kind, uid: String, now: Time, rv: Option<u64>) {
    let stamps = [
        ("creationTimestamp", Some(Value::String(now.rfc3339()))),
        ("generation", has_generation(kind).then(|| json!(1))),
        (
            "resourceVersion",
            rv.map(|rv| Value::String(rv.to_string())),
        ),
        ("uid", Some(Value::String(uid))),
    ];
    let meta = match obj.get_mut("metadata") {
        Some(Value::Object(meta)) => meta,
        // No metadata map (`validate_create` lets none through): made field by field.
        _ => {
            for (field, value) in stamps {
                if let Some(value) = value {
                    object::set(obj, &["metadata", field], value);
                }
            }
            return;
        }
    };
    object::merge_sorted(
        meta,
        stamps
            .into_iter()
            .filter_map(|(field, value)| Some((field, value?))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_with_pod() -> Api {
        let mut api = Api::new(1, Time::default());
        api.create(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        )
        .unwrap();
        api.create(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}))
            .unwrap();
        api
    }

    #[test]
    fn create_stamps_server_metadata_and_a_taken_name_writes_nothing() {
        let mut api = api_with_pod();
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}});
        // A taken name: the apiserver's 409, no resourceVersion or event.
        let (head, rv, rng) = (
            api.store.head(),
            api.store.resource_version(),
            api.rng.clone(),
        );
        let err = api.create(pod.clone()).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.message, "pods \"web-0\" already exists");
        assert_eq!((api.store.head(), api.store.resource_version()), (head, rv));
        // Admission named the token volume (as before the name was found taken); no uid.
        let mut expected = rng;
        expected.name_suffix(5);
        assert_eq!(api.rng, expected);
        // A dry run: stamped but for the resourceVersion, and not stored.
        let mut other = pod.clone();
        other["metadata"]["name"] = json!("web-1");
        let dry = api
            .create_with(other.clone(), &WriteOptions { dry_run: true })
            .unwrap();
        assert!(dry["metadata"].get("resourceVersion").is_none());
        assert!(!object::uid(&dry).is_empty());
        assert_eq!(
            dry["metadata"]["creationTimestamp"],
            json!(api.now.rfc3339())
        );
        assert!(api.try_get(Kind::Pod, "default", "web-1").is_none());
        // Created: every stamp, in key order with the client's fields, and stored as returned.
        let made = api.create(other).unwrap();
        let keys: Vec<&str> = made["metadata"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "creationTimestamp",
                "generation",
                "labels",
                "name",
                "namespace",
                "resourceVersion",
                "uid"
            ]
        );
        assert_eq!(object::resource_version(&made), rv + 1);
        assert_eq!(api.get(Kind::Pod, "default", "web-1").unwrap(), made);
        let set = api
            .create(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {"selector": {"matchLabels": {"app": "web"}}, "serviceName": "web",
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}))
            .unwrap();
        assert_eq!(set["metadata"]["generation"], json!(1));
    }

    #[test]
    fn bind_pod_sets_node_and_condition_in_one_modified_event() {
        let mut api = api_with_pod();
        let before = api.store.head();
        let rv_before = api.store.resource_version();
        let pod = api.bind_pod("default", "web-0", "node-1").unwrap();
        assert_eq!(object::get_str(&pod, &["spec", "nodeName"]), Some("node-1"));
        let conds = object::get_array(&pod, &["status", "conditions"]);
        let scheduled: Vec<_> = conds
            .iter()
            .filter(|c| c["type"] == "PodScheduled")
            .collect();
        assert_eq!(scheduled.len(), 1);
        assert_eq!(scheduled[0]["status"], "True");
        assert_eq!(api.store.resource_version(), rv_before + 1);
        assert_eq!(object::resource_version(&pod), rv_before + 1);
        let events: Vec<_> = api.store.events_since(before).unwrap().collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, EventType::Modified);
        assert_eq!(events[0].kind, Kind::Pod);
    }

    #[test]
    fn bind_pod_refuses_bound_and_missing_pods_like_the_binding_subresource() {
        let mut api = api_with_pod();
        api.bind_pod("default", "web-0", "node-1").unwrap();
        let head = api.store.head();
        let err = api.bind_pod("default", "web-0", "node-2").unwrap_err();
        assert!(err.is_conflict());
        assert_eq!(
            err.message,
            "Operation cannot be fulfilled on pods/binding \"web-0\": pod web-0 is already assigned to node \"node-1\""
        );
        assert_eq!(api.store.head(), head, "a refused binding writes nothing");
        let err = api.bind_pod("default", "web-9", "node-1").unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(err.message, "pods \"web-9\" not found");
    }

    #[test]
    fn bind_pod_replaces_an_unschedulable_condition() {
        let mut api = api_with_pod();
        let mut pod = (*api.get(Kind::Pod, "default", "web-0").unwrap()).clone();
        pod["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "False",
            "reason": "Unschedulable", "message": "0/3 nodes are available",
            "lastProbeTime": null, "lastTransitionTime": "2024-01-01T00:00:00Z"}]);
        api.update_status(pod).unwrap();
        let pod = api.bind_pod("default", "web-0", "node-3").unwrap();
        let cond = &object::get_array(&pod, &["status", "conditions"])[0];
        assert_eq!(cond["status"], "True");
        assert!(cond.get("reason").is_none() && cond.get("message").is_none());
        assert_eq!(cond["lastTransitionTime"], json!(api.now.rfc3339()));
    }

    /// `write_status(obj, status)` against `update_status(status_update_body(obj, status))`
    /// on two copies of `api`: the same answer or error, warnings, resourceVersion, watch
    /// events and stored object.
    fn write_status_as_update_status(api: &Api, obj: &Value, status: Value) {
        let (mut fast, mut general) = (api.clone(), api.clone());
        let head = api.store.head();
        let a = fast.write_status(obj, status.clone());
        let b = general.update_status(object::status_update_body(obj, status));
        match (&a, &b) {
            (Ok(x), Ok(y)) => assert_eq!(x, y),
            (Err(x), Err(y)) => {
                assert_eq!((&x.message, x.code), (&y.message, y.code));
                assert_eq!(x.is_conflict(), y.is_conflict());
            }
            _ => panic!("write_status {a:?} but update_status {b:?}"),
        }
        assert_eq!(fast.take_warnings(), general.take_warnings());
        assert_eq!(
            fast.store.resource_version(),
            general.store.resource_version()
        );
        let events = |api: &Api| -> Vec<(EventType, Kind, Value, u64)> {
            api.store
                .events_since(head)
                .unwrap()
                .map(|e| {
                    (
                        e.event_type,
                        e.kind,
                        (**e.object()).clone(),
                        e.resource_version,
                    )
                })
                .collect()
        };
        assert_eq!(events(&fast), events(&general));
        for kind in [Kind::Pod, Kind::StatefulSet, Kind::Deployment] {
            let all = |api: &Api| -> Vec<Value> {
                api.list(kind, None, &Selector::everything())
                    .iter()
                    .map(|o| (**o).clone())
                    .collect()
            };
            assert_eq!(all(&fast), all(&general));
        }
    }

    fn stored(api: &Api, kind: Kind, name: &str) -> Value {
        (*api.get(kind, "default", name).unwrap()).clone()
    }

    #[test]
    fn write_status_is_update_status_of_a_status_body() {
        let mut api = api_with_pod();
        let pod = stored(&api, Kind::Pod, "web-0");
        // A new status, the same status (a no-op), none at all.
        write_status_as_update_status(&api, &pod, json!({"phase": "Running", "podIP": "10.0.0.1"}));
        write_status_as_update_status(&api, &pod, pod["status"].clone());
        write_status_as_update_status(&api, &pod, Value::Null);
        // The object gone, or another namespace or name: not found.
        let mut elsewhere = pod.clone();
        elsewhere["metadata"]["name"] = json!("web-9");
        write_status_as_update_status(&api, &elsewhere, json!({"phase": "Running"}));
        elsewhere["metadata"]["namespace"] = json!("other");
        write_status_as_update_status(&api, &elsewhere, json!({"phase": "Running"}));
        let mut nameless = pod.clone();
        object::remove(&mut nameless, &["metadata", "name"]);
        write_status_as_update_status(&api, &nameless, json!({"phase": "Running"}));
        // Without a resourceVersion nothing conflicts; a stale one does.
        let mut unversioned = pod.clone();
        object::remove(&mut unversioned, &["metadata", "resourceVersion"]);
        write_status_as_update_status(&api, &unversioned, json!({"phase": "Failed"}));
        api.write_status(&pod, json!({"phase": "Running"})).unwrap();
        write_status_as_update_status(&api, &pod, json!({"phase": "Succeeded"}));
        // Bodies the general path refuses or warns about: no kind, an unknown kind, a
        // deprecated version, a name of the wrong type.
        let mut odd = stored(&api, Kind::Pod, "web-0");
        odd["kind"] = json!("");
        write_status_as_update_status(&api, &odd, json!({"phase": "Running"}));
        odd["kind"] = json!("Pot");
        write_status_as_update_status(&api, &odd, json!({"phase": "Running"}));
        let mut wrong = stored(&api, Kind::Pod, "web-0");
        wrong["metadata"]["name"] = json!(5);
        write_status_as_update_status(&api, &wrong, json!({"phase": "Running"}));
        // A terminating pod whose finalizer is gone and grace is over leaves with its write.
        let pod = stored(&api, Kind::Pod, "web-0");
        let mut dying = pod.clone();
        dying["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
        dying["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        let rv = api.store.next_resource_version();
        dying["metadata"]["resourceVersion"] = json!(rv.to_string());
        let dying = (*api
            .store
            .put_versioned(Kind::Pod, dying, rv, EventType::Modified, api.now))
        .clone();
        write_status_as_update_status(&api, &dying, json!({"phase": "Succeeded"}));
    }

    #[test]
    fn write_status_validates_and_falls_back_like_update_status() {
        let mut api = api_with_pod();
        for (kind, body) in [
            (
                Kind::StatefulSet,
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": {"name": "web", "namespace": "default"},
                    "spec": {"replicas": 1, "serviceName": "nginx",
                        "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
            ),
            (
                Kind::Deployment,
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "namespace": "default",
                        "annotations": {"deployment.kubernetes.io/revision": "1"}},
                    "spec": {"replicas": 1,
                        "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
            ),
        ] {
            api.create(body).unwrap();
            let obj = stored(&api, kind, "web");
            write_status_as_update_status(&api, &obj, json!({"replicas": 1, "readyReplicas": 1}));
            // A status the StatefulSet validation refuses.
            write_status_as_update_status(&api, &obj, json!({"replicas": -1}));
            if kind == Kind::StatefulSet {
                let err = api.clone().write_status(&obj, json!({"replicas": -1}));
                assert!(err.is_err_and(|e| e.code == 422), "refused");
            }
            // A Deployment's status write takes the body's annotations.
            let mut annotated = obj.clone();
            annotated["metadata"]["annotations"] =
                json!({"deployment.kubernetes.io/revision": "2"});
            write_status_as_update_status(&api, &annotated, json!({"replicas": 1}));
            // A deprecated version is warned about.
            let mut legacy = obj.clone();
            legacy["apiVersion"] = json!("apps/v1beta2");
            write_status_as_update_status(&api, &legacy, json!({"replicas": 1}));
        }
    }

    /// `write_status` skips the decoding check of the body `status_update_body` builds
    /// because the check reads nothing of it but the metadata's name and namespace: no
    /// status and no resourceVersion, whatever their types.
    #[test]
    fn status_bodies_decode_whatever_their_status() {
        let odd = [
            json!(5),
            json!("x"),
            json!([1, "a", {"b": 1}]),
            json!({"phase": 5, "replicas": "3", "conditions": "no", "podIP": 1,
                "containerStatuses": [{"name": 1, "ready": "yes", "restartCount": "1"}],
                "hostIP": [], "observedGeneration": "1", "readyReplicas": -1.5}),
        ];
        for kind in Kind::all() {
            for status in &odd {
                for rv in [json!("7"), json!(7), json!({"a": 1}), json!(null)] {
                    let body = json!({"apiVersion": kind.api_version(), "kind": kind.info().kind_name,
                        "metadata": {"name": "a", "namespace": "default", "resourceVersion": rv},
                        "status": status});
                    assert!(
                        crate::decoding::check_body(kind, &body).is_ok(),
                        "{kind:?} {body}"
                    );
                }
            }
        }
    }
}
