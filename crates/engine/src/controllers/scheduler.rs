//! (scheduler controller: being written.)
