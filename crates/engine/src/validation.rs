//! Validation on create and update (spec §1.4–§1.5). (Being written.)

use crate::error::FieldError;
use crate::kinds::Kind;
use serde_json::Value;

pub fn validate_create(_kind: Kind, _obj: &Value) -> Result<(), Vec<FieldError>> {
    Ok(())
}

pub fn validate_update(_kind: Kind, _old: &Value, _new: &Value) -> Result<(), Vec<FieldError>> {
    Ok(())
}

pub fn validate_status_update(
    _kind: Kind,
    _old: &Value,
    _new: &Value,
) -> Result<(), Vec<FieldError>> {
    Ok(())
}
