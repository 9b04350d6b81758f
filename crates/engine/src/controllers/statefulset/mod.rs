//! (StatefulSet controller: being written.)
