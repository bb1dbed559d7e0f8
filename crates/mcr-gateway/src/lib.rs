//! The My Care Record gateway: verifies the caller's token, opens patient contexts,
//! fetches the record from the source systems over HTTP, normalises it to the shared
//! model, and returns it only after the access has been committed to the audit log.
//!
//! `main.rs` is thin; [`startup::Application`] builds everything from a
//! [`config::Config`] and exposes the bound address so tests can use port 0.

pub mod admission;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod comments;
pub mod config;
pub mod contexts;
pub mod error;
pub mod fhir_out;
pub mod http;
pub mod locator;
pub mod memory;
pub mod normalise;
pub mod policy;
pub mod registry;
pub mod request_id;
pub mod sources;
pub mod startup;
pub mod store;
pub mod time_fmt;
pub mod view;
