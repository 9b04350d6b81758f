//! (gc controller: being written.)
