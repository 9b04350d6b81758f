//! The page's components. Each renders plain view data passed as props and reports user
//! intent as callbacks; none of them reads or changes the cluster.

pub mod cluster;
pub mod controls;
pub mod editor;
pub mod events;
pub mod sets;
pub mod terminal;
