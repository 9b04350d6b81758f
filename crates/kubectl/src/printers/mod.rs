//! Printers shared by every consumer: server-side tables (the same rows the HTTP API server
//! returns as `Table`), kubectl's tab writer, and the `-o` formats. (Being written.)
