//! The kubelet of every simulated node. (Being written.)

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::kinds::Kind;
use crate::store::WatchEvent;

/// (No-op until written.)
#[derive(Debug, Default)]
pub struct Kubelet;

impl Kubelet {
    pub fn new(_config: &crate::Config) -> Kubelet {
        Kubelet
    }
}

impl Controller for Kubelet {
    fn name(&self) -> &'static str {
        "kubelet"
    }

    fn watches(&self, _kind: Kind) -> bool {
        false
    }

    fn keys_for(&mut self, _event: &WatchEvent, _api: &Api, _out: &mut Vec<ObjectKey>) {}

    fn reconcile(&mut self, _key: &ObjectKey, _ctx: &mut Ctx<'_>) -> Action {
        Action::Done
    }
}
