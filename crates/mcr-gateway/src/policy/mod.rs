//! The access policy, deny by default: the role table (`table.rs`: how each role opens a
//! context, what it may do, the dataset it sees), datasets below the whole record
//! (`dataset.rs`) and the sensitive codes withheld from everyone (`sensitive.rs`).

pub mod dataset;
pub mod sensitive;
pub mod table;

pub use dataset::DatasetRule;
pub use sensitive::{DEFAULT_SENSITIVE, SNOMED, SensitiveCodes};
pub use table::{Permission, Policy, TableConfig};
