//! Reading manifests: YAML/JSON documents from files, stdin or bundled URLs, split on `---`,
//! with parse errors reported as kubectl does (`error: error parsing web.yaml: error converting
//! YAML to JSON: yaml: line 7: ...`). The only module that uses the YAML crate for input.
