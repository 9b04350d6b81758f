//! (kubectl: being written.)
