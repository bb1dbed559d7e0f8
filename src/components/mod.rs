//! Building blocks of the panel, one component per file.

pub mod banner;
pub mod break_glass;
pub mod comments;
pub mod filter_bar;
pub mod med_compare;
pub mod section;
pub mod sources;
pub mod summary;
pub mod tabs;
pub mod trend_plot;
