//! (pv controller: being written.)
