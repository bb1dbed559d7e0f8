//! Building blocks of the panel, one component per file.

pub mod banner;
pub mod comments;
pub mod section;
pub mod sources;
