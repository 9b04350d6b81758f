//! The engine's objects are `serde_json::Value`s whose maps are shared and copied on write
//! (vendor/serde_json/KUBEPLAY.md). These tests pin the value semantics the engine relies on:
//! a clone is an independent value whatever is written into either side afterwards, through
//! every mutating entry point of `Map` and `Value`.

use serde_json::{json, Map, Value};

fn pod() -> Value {
    json!({
        "metadata": {"name": "web-0", "labels": {"app": "nginx"}, "resourceVersion": "7"},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}
    })
}

#[test]
fn writes_into_a_clone_leave_the_original_alone() {
    let original = pod();
    let mut copy = original.clone();
    copy["metadata"]["labels"]["app"] = json!("web");
    copy["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    copy["status"]["conditions"][0]["status"] = json!("False");
    copy["metadata"]["resourceVersion"] = json!("8");
    assert_eq!(original, pod(), "the original changed through its clone");
    assert_eq!(copy["metadata"]["labels"]["app"], "web");
    assert_eq!(copy["spec"]["containers"][0]["image"], "nginx:1.26");
    assert_eq!(copy["status"]["conditions"][0]["status"], "False");
    assert_ne!(copy, original);
}

#[test]
fn writes_into_the_original_leave_its_clones_alone() {
    let mut original = pod();
    let copy = original.clone();
    let copy_of_copy = copy.clone();
    original["status"]["phase"] = json!("Running");
    original
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .map(|m| m.remove("labels"));
    assert_eq!(copy, pod());
    assert_eq!(copy_of_copy, pod());
    assert_eq!(original["status"]["phase"], "Running");
    assert!(original["metadata"].get("labels").is_none());
}

#[test]
fn every_mutating_map_method_copies_before_writing() {
    let base: Map<String, Value> = match pod() {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    let untouched = Value::Object(base.clone());

    let mut m = base.clone();
    m.insert("kind".into(), json!("Pod"));
    let mut m2 = base.clone();
    m2.remove("status");
    let mut m3 = base.clone();
    m3.retain(|k, _| k == "spec");
    let mut m4 = base.clone();
    m4.entry("apiVersion").or_insert(json!("v1"));
    let mut m5 = base.clone();
    for (_, v) in m5.iter_mut() {
        *v = Value::Null;
    }
    let mut m6 = base.clone();
    for v in m6.values_mut() {
        *v = json!(1);
    }
    let mut m7 = base.clone();
    m7.clear();
    let mut m8 = base.clone();
    let mut other = base.clone();
    other.insert("zzz".into(), json!(true));
    m8.append(&mut other);
    let mut m9 = base.clone();
    m9.extend([("extra".to_string(), json!(2))]);
    if let Some(v) = m9.get_mut("metadata") {
        v["name"] = json!("web-9");
    }

    assert_eq!(Value::Object(base.clone()), untouched);
    assert_eq!(m.len(), 4);
    assert!(!m2.contains_key("status"));
    assert_eq!(m3.keys().collect::<Vec<_>>(), ["spec"]);
    assert_eq!(m4["apiVersion"], "v1");
    assert!(m5.values().all(Value::is_null));
    assert!(m6.values().all(|v| v == 1));
    assert!(m7.is_empty());
    assert!(m8.contains_key("zzz") && other.is_empty());
    assert_eq!(m9["metadata"]["name"], "web-9");
    assert_eq!(base["metadata"]["name"], "web-0");
}

#[test]
fn taking_a_shared_map_by_value_copies_it_and_an_owned_one_moves() {
    let original = pod();
    let shared = original.clone();
    let Value::Object(map) = shared else {
        unreachable!()
    };
    let keys: Vec<String> = map.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["metadata", "spec", "status"]);
    assert_eq!(original, pod());

    let Value::Object(owned) = pod() else {
        unreachable!()
    };
    let values: Vec<Value> = owned.into_values().collect();
    assert_eq!(values.len(), 3);
}

#[test]
fn equality_and_order_are_unchanged() {
    let a = json!({"b": 1, "a": {"y": [1, 2], "x": null}});
    let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, a.clone());
    assert_ne!(a, json!({"b": 1, "a": {"y": [1, 2]}}));
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"a":{"x":null,"y":[1,2]},"b":1}"#
    );
}

// The map is a sorted vector (vendor/serde_json/src/vecmap.rs): the same order, lookups and
// duplicate-key rules as the BTreeMap it replaced, whatever order the entries come in.

#[test]
fn keys_stay_sorted_whatever_the_insertion_order() {
    let mut m = Map::new();
    for k in ["spec", "apiVersion", "status", "kind", "metadata", "kind"] {
        m.insert(k.to_string(), json!(k));
    }
    assert_eq!(
        m.keys().map(String::as_str).collect::<Vec<_>>(),
        ["apiVersion", "kind", "metadata", "spec", "status"]
    );
    assert_eq!(m.get("kind"), Some(&json!("kind")));
    assert_eq!(m.get("nope"), None);
    assert_eq!(m.remove("apiVersion"), Some(json!("apiVersion")));
    assert!(!m.contains_key("apiVersion"));
    assert_eq!(
        format!("{:?}", Value::Object(m.clone())),
        r#"Object {"kind": String("kind"), "metadata": String("metadata"), "spec": String("spec"), "status": String("status")}"#
    );
    match m.entry("a") {
        serde_json::map::Entry::Vacant(v) => {
            v.insert(json!(1));
        }
        serde_json::map::Entry::Occupied(_) => panic!("a is not there"),
    }
    match m.entry("spec") {
        serde_json::map::Entry::Occupied(mut o) => {
            assert_eq!(o.insert(json!(2)), json!("spec"));
        }
        serde_json::map::Entry::Vacant(_) => panic!("spec is there"),
    }
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"a":1,"kind":"kind","metadata":"metadata","spec":2,"status":"status"}"#
    );
}

#[test]
fn duplicate_keys_keep_the_last_value_in_every_bulk_path() {
    let parsed: Value = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), r#"{"a":2,"b":3}"#);
    let m: Map<String, Value> = [("z", 1), ("y", 2), ("z", 3)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"y":2,"z":3}"#);
    let mut ext = m.clone();
    ext.extend((0..10).rev().map(|i| (format!("k{i}"), json!(i))));
    ext.extend([("y".to_string(), json!("new"))]);
    assert_eq!(ext.len(), 12);
    assert_eq!(ext["y"], "new");
    assert_eq!(ext.keys().next().map(String::as_str), Some("k0"));
    assert_eq!(m["y"], 2, "extending a clone changed the original");
}

#[test]
fn a_huge_object_in_reverse_order_parses_and_keeps_every_key() {
    // 200,000 keys in descending order: inserting one by one into a sorted vector would move
    // ~10^10 entries; the deserialiser collects and sorts once.
    let n = 200_000;
    let mut text = String::from("{");
    for i in (0..n).rev() {
        text.push_str(&format!("\"k{i:06}\":{i},"));
    }
    text.pop();
    text.push('}');
    let v: Value = serde_json::from_str(&text).unwrap();
    let m = v.as_object().unwrap();
    assert_eq!(m.len(), n);
    assert_eq!(m.keys().next().map(String::as_str), Some("k000000"));
    assert_eq!(m["k123456"], 123456);
    assert_eq!(m.get("k199999"), Some(&json!(199999)));
}
