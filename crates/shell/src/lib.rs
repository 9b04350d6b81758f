//! (Shell: being written.)
