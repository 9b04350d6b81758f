//! Admission plugins the simulated API server runs after validation. (Being written.)

use crate::api::Api;
use crate::error::ApiResult;
use crate::kinds::Kind;
use serde_json::Value;

pub fn admit_create(_api: &mut Api, _kind: Kind, _obj: &mut Value) -> ApiResult<()> {
    Ok(())
}

pub fn admit_update(_api: &mut Api, _kind: Kind, _old: &Value, _new: &mut Value) -> ApiResult<()> {
    Ok(())
}
