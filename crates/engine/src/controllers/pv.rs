//! (pv controller: being written.)

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::kinds::Kind;
use crate::store::WatchEvent;

/// (No-op until written.)
#[derive(Debug, Default)]
pub struct PersistentVolumeController;

impl PersistentVolumeController {
    pub fn new() -> PersistentVolumeController {
        PersistentVolumeController
    }
}

impl Controller for PersistentVolumeController {
    fn name(&self) -> &'static str {
        "persistentvolume-controller"
    }

    fn watches(&self, _kind: Kind) -> bool {
        false
    }

    fn keys_for(&mut self, _event: &WatchEvent, _api: &Api, _out: &mut Vec<ObjectKey>) {}

    fn reconcile(&mut self, _key: &ObjectKey, _ctx: &mut Ctx<'_>) -> Action {
        Action::Done
    }
}
