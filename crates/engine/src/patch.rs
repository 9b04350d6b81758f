//! JSON patch, JSON merge patch and strategic merge patch. (Being written.)

use crate::error::{ApiError, ApiResult};
use crate::kinds::Kind;
use serde_json::Value;

pub fn json_patch(target: &mut Value, patch: &Value) -> ApiResult<()> {
    let p: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("json: cannot unmarshal patch: {e}")))?;
    json_patch::patch(target, &p).map_err(|e| ApiError::internal(e.to_string()))
}

pub fn merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

pub fn strategic_merge_patch(_kind: Kind, target: &mut Value, patch: &Value) -> ApiResult<()> {
    json_patch::merge(target, patch);
    Ok(())
}
