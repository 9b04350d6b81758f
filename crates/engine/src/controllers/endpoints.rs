//! (endpoints controller: being written.)
