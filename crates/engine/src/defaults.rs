//! Defaulting as the API server does it (spec §1.2, §1.5). (Being written.)

use crate::kinds::Kind;
use serde_json::Value;

/// Fills in defaults for `obj` of `kind`; `legacy_version` is e.g. `apps/v1beta1` when the
/// object was sent in a deprecated version whose defaults differ.
pub fn apply(_kind: Kind, _obj: &mut Value, _legacy_version: Option<&str>) {}
