//! The state every handler shares: the population, the configuration, the fault
//! table, the replays and the locator publisher. Cheap to clone (everything inside is
//! reference-counted).

use std::sync::Arc;

use crate::config::SimConfig;
use crate::faults::FaultTable;
use crate::population::Population;
use crate::publisher::Publisher;
use crate::replay::Replays;

/// Shared handler state.
#[derive(Clone)]
pub struct SimState {
    /// The synthetic population.
    pub population: Population,
    /// The configuration the simulator started with.
    pub config: Arc<SimConfig>,
    /// Latency and fault rules, changeable at run time through the control endpoint.
    pub faults: FaultTable,
    /// Fixtures answering for particular NHS numbers.
    pub replays: Replays,
    /// Where providers tell the locator, and what they have told it.
    pub publisher: Publisher,
}
