//! `kubectl rollout` (being written).

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::output::Output;

pub fn run(_k: &mut Kubectl<'_>, _args: &[String], _out: &mut Output) -> CmdResult {
    Err(CmdError::Plain("not implemented yet".into()))
}
