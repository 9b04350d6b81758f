//! (StatefulSet controller: being written.)

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::kinds::Kind;
use crate::store::WatchEvent;

/// (No-op until written.)
#[derive(Debug, Default)]
pub struct StatefulSetController;

impl StatefulSetController {
    pub fn new() -> StatefulSetController {
        StatefulSetController
    }
}

impl Controller for StatefulSetController {
    fn name(&self) -> &'static str {
        "statefulset-controller"
    }

    fn watches(&self, _kind: Kind) -> bool {
        false
    }

    fn keys_for(&mut self, _event: &WatchEvent, _api: &Api, _out: &mut Vec<ObjectKey>) {}

    fn reconcile(&mut self, _key: &ObjectKey, _ctx: &mut Ctx<'_>) -> Action {
        Action::Done
    }
}
