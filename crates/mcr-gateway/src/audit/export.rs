//! `mcr-gateway audit export`: audit rows as NDJSON (the stored rows, chain fields
//! included) or as FHIR R4 AuditEvent resources (one per line) in the shape of IHE's
//! Basic Audit Log Patterns (BALP).
//!
//! Reads of a patient's data (the record, a source's answer, comments, the dissent entry,
//! the access log) follow BALP's PatientRead; a context opened by search follows
//! PatientQuery. Such an event claims its profile in `meta.profile` only when it
//! succeeded and the row holds everything the profile requires (the patient and the
//! client's network address); other rows (refusals, failures, changes, tools' rows) use
//! the same building blocks without claiming a profile.

use base64::Engine;
use serde_json::{Value, json};

use crate::store::AuditRow;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One stored row per line.
    Ndjson,
    /// One FHIR R4 AuditEvent per line.
    Fhir,
}

/// One output line for `row`; `server` names the gateway (its host name) in FHIR output.
pub fn line(row: &AuditRow, format: Format, server: &str) -> String {
    match format {
        Format::Ndjson => serde_json::to_string(row).unwrap_or_default(),
        Format::Fhir => audit_event(row, server).to_string(),
    }
}

/// IHE BALP's entity types (its `XrequestId` code carries an `X-Request-Id`).
pub const BALP_ENTITY_TYPE: &str =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
/// BALP's profile for a successful read of a patient's data.
pub const PATIENT_READ: &str =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead";
/// BALP's profile for a successful search for a patient.
pub const PATIENT_QUERY: &str =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery";

const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const PURPOSE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/// The gateway's own action names, kept beside the standard subtype.
const ACTION_SYSTEM: &str = "urn:mcr:audit-action";

/// What kind of interaction a stored action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interaction {
    /// Patient data read (BALP Read / PatientRead).
    Read,
    /// A search (BALP Query / PatientQuery).
    Search,
    Create,
    Update,
    Delete,
    /// Anything else a request or a tool did (a refused token, a prune).
    Operation,
}

impl Interaction {
    fn of(action: &str, detail: Option<&str>) -> Self {
        match action {
            "record.view" | "record.source" | "record.practice" | "comments.read"
            | "dissent.read" | "access_log.read" => Self::Read,
            // A context opened with a reason is a search; a launch has no reason.
            "context.open" if detail.is_some() => Self::Search,
            "break_glass.list" => Self::Search,
            "context.open" | "comment.add" | "dissent.set" | "break_glass.grant" => Self::Create,
            "comment.retract" | "break_glass.review" | "locator.put" => Self::Update,
            "context.end" | "dissent.lift" | "locator.delete" => Self::Delete,
            _ => Self::Operation,
        }
    }

    /// The restful-interaction code and the AuditEvent action code.
    fn codes(self) -> (&'static str, &'static str) {
        match self {
            Self::Read => ("read", "R"),
            Self::Search => ("search-type", "E"),
            Self::Create => ("create", "C"),
            Self::Update => ("update", "U"),
            Self::Delete => ("delete", "D"),
            Self::Operation => ("operation", "E"),
        }
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

/// The purposes of use a row shows (HL7 v3 ActReason), from the flags and role it holds:
/// break-glass is emergency treatment; the default roles map to their purpose. A role a
/// region configured itself has none (the export does not guess).
fn purposes(row: &AuditRow) -> Vec<Value> {
    let f = &row.fields;
    if f.under_break_glass() {
        return vec![
            coding(PURPOSE, "ETREAT", "Emergency Treatment"),
            coding(PURPOSE, "BTG", "break the glass"),
        ];
    }
    match f.user_role.as_deref() {
        Some("hospital-clinician" | "gp-clinician") => {
            vec![coding(PURPOSE, "TREAT", "treatment")]
        }
        Some("social-worker") => vec![coding(PURPOSE, "COC", "coordination of care")],
        Some("privacy-officer") => vec![coding(PURPOSE, "HCOMPL", "health compliance")],
        Some("patient") => vec![coding(PURPOSE, "PATRQT", "patient requested")],
        _ => vec![],
    }
}

/// The row as a FHIR R4 AuditEvent in BALP's shape (outcome 0 success, 4 minor failure
/// such as a refusal, 8 serious failure).
pub fn audit_event(row: &AuditRow, server: &str) -> Value {
    let f = &row.fields;
    let interaction = Interaction::of(&f.action, f.detail.as_deref());
    let (subtype, action) = interaction.codes();
    let outcome = match f.outcome.as_str() {
        "allowed" => "0",
        "refused" => "4",
        _ => "8",
    };
    let purposes = purposes(row);

    // Agents: the user (the information recipient), their organisation, the client
    // application's connection and the gateway. BALP names the query's sender the
    // Source Role ID; for a read, the gateway sending the data is the source.
    let (client_role, server_role) = match interaction {
        Interaction::Read => (
            coding(DICOM, "110152", "Destination Role ID"),
            coding(DICOM, "110153", "Source Role ID"),
        ),
        _ => (
            coding(DICOM, "110153", "Source Role ID"),
            coding(DICOM, "110152", "Destination Role ID"),
        ),
    };
    let mut user = json!({
        "type": {"coding": [coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient")]},
        "who": {"identifier": {"value": f.user_id}},
        "requestor": true,
    });
    if let Some(role) = &f.user_role {
        user["role"] =
            json!([{"coding": [{"system": "urn:mcr:role", "code": role}], "text": role}]);
    }
    if !purposes.is_empty() {
        user["purposeOfUse"] = json!([{"coding": purposes}]);
    }
    let mut agents = vec![user];
    if let Some(org) = &f.org_ods {
        agents.push(json!({
            "type": {"coding": [coding("http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV", "healthcare provider")]},
            "who": {"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}},
            "requestor": false,
        }));
    }
    let mut client = json!({
        "type": {"coding": [client_role]},
        "requestor": false,
    });
    match &f.client_addr {
        Some(addr) => {
            client["who"] = json!({"identifier": {"value": addr}, "display": "the client application's connection"});
            client["network"] = json!({"address": addr, "type": "2"});
        }
        None => client["who"] = json!({"display": "not recorded"}),
    }
    agents.push(client);
    agents.push(json!({
        "type": {"coding": [server_role]},
        "who": {"identifier": {"value": server}, "display": "mcr-gateway"},
        "requestor": false,
        "network": {"address": server, "type": "1"},
    }));

    let mut entities = Vec::new();
    if let Some(nhs) = &f.nhs_number {
        entities.push(json!({
            "what": {"type": "Patient", "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
            "type": coding(ENTITY_TYPE, "1", "Person"),
            "role": coding(OBJECT_ROLE, "1", "Patient"),
        }));
    }
    match interaction {
        Interaction::Read => entities.push(data_entity(row)),
        Interaction::Search => entities.push(query_entity(row)),
        _ => {}
    }
    // The request that caused the row, as BALP records an X-Request-Id.
    if let Some(id) = &f.request_id {
        entities.push(json!({
            "what": {"identifier": {"value": id}},
            "type": coding(BALP_ENTITY_TYPE, "XrequestId", "X-Request-Id"),
        }));
    }
    // The row's place in the hash chain (a type of its own, so it is never taken for
    // BALP's data or query entity).
    entities.push(json!({
        "what": {"identifier": {"system": "urn:mcr:audit-chain", "value": format!("{}:{}", row.seq, row.hash)}},
        "type": {"system": "urn:mcr:audit-entity-type", "code": "chain-position", "display": "position in the audit hash chain"},
    }));

    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("mcr-audit-{}", row.seq),
        "type": coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation"),
        "subtype": [coding(INTERACTION, subtype, subtype), {"system": ACTION_SYSTEM, "code": f.action}],
        "action": action,
        "recorded": f.at,
        "outcome": outcome,
        "agent": agents,
        "source": {
            "site": server,
            "observer": {"identifier": {"value": server}, "display": "mcr-gateway"},
            "type": [coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
        },
        "entity": entities,
    });
    if !purposes.is_empty() {
        event["purposeOfEvent"] = json!([{"coding": purposes}]);
    }
    if let Some(detail) = &f.detail {
        event["outcomeDesc"] = json!(detail);
    }
    let complete = outcome == "0" && f.nhs_number.is_some() && f.client_addr.is_some();
    let profile = match interaction {
        Interaction::Read if complete => Some(PATIENT_READ),
        Interaction::Search if complete => Some(PATIENT_QUERY),
        _ => None,
    };
    if let Some(profile) = profile {
        event["meta"] = json!({"profile": [profile]});
    }
    event
}

/// BALP's data entity: what was read (a source's answer, or the context's record,
/// comments, dissent entry or access log).
fn data_entity(row: &AuditRow) -> Value {
    let f = &row.fields;
    let what = match (f.action.as_str(), f.detail.as_deref()) {
        ("record.source" | "record.practice", Some(detail)) => {
            let source = detail.split(':').next().unwrap_or(detail).trim();
            json!({"identifier": {"system": "urn:mcr:source", "value": source}, "display": "one source's answer"})
        }
        (action, _) => {
            let display = match action {
                "comments.read" => "the comments on the record",
                "dissent.read" => "the patient's entry in the dissent register",
                "access_log.read" => "the record's access log",
                _ => "the shared care record",
            };
            match &f.context_id {
                Some(ctx) => {
                    json!({"identifier": {"system": "urn:mcr:context", "value": ctx}, "display": display})
                }
                None => json!({"display": display}),
            }
        }
    };
    json!({
        "what": what,
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
    })
}

/// BALP's query entity: the search as the gateway understood it, base64 in `query` and
/// readable in `description` (the raw request body is not kept; the reason is).
fn query_entity(row: &AuditRow) -> Value {
    let f = &row.fields;
    let search = match &f.nhs_number {
        Some(nhs) => format!("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"),
        None => format!("{}?", f.action),
    };
    let description = match &f.detail {
        Some(reason) if f.action == "context.open" => {
            format!("{search} (a patient context opened by search; reason: {reason})")
        }
        _ => search.clone(),
    };
    json!({
        "type": coding(ENTITY_TYPE, "2", "System Object"),
        "role": coding(OBJECT_ROLE, "24", "Query"),
        "description": description,
        "query": base64::engine::general_purpose::STANDARD.encode(search.as_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditFields;

    fn row(action: &str, detail: Option<&str>, client: Option<&str>) -> AuditRow {
        AuditRow {
            seq: 3,
            fields: AuditFields {
                nhs_number: Some("9990000018".into()),
                user_role: Some("hospital-clinician".into()),
                org_ods: Some("RR8".into()),
                context_id: Some("ctx-1".into()),
                request_id: Some("0123456789abcdef0123456789abcdef".into()),
                client_addr: client.map(Into::into),
                ..AuditFields::event("ae-doctor", action, "allowed", detail.map(Into::into))
            },
            prev_hash: String::new(),
            hash: "ab".into(),
        }
    }

    fn typed<'a>(items: &'a Value, system: &str, code: &str) -> Vec<&'a Value> {
        items
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                let t = &i["type"];
                let codings = t["coding"]
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![t.clone()]);
                codings
                    .iter()
                    .any(|c| c["system"] == system && c["code"] == code)
            })
            .collect()
    }

    /// The constraints of BALP's Read and PatientRead profiles, written out from the
    /// profiles (IHE ITI Basic Audit Log Patterns, `IHE.BasicAudit.Read`/`PatientRead`).
    #[test]
    fn a_record_view_has_the_shape_of_balp_patient_read() {
        let e = audit_event(&row("record.view", None, Some("127.0.0.1")), "gw.example");
        assert_eq!(e["meta"]["profile"][0], PATIENT_READ);
        assert_eq!(
            e["type"]["system"],
            "http://terminology.hl7.org/CodeSystem/audit-event-type"
        );
        assert_eq!(e["type"]["code"], "rest");
        assert!(
            e["subtype"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["system"] == INTERACTION && s["code"] == "read")
        );
        assert_eq!(e["action"], "R");
        assert_eq!(e["outcome"], "0");
        assert!(e["recorded"].is_string());
        let agents = &e["agent"];
        // client 1..1: Destination Role ID, who and network.
        let client = typed(agents, DICOM, "110152");
        assert_eq!(client.len(), 1);
        assert_eq!(client[0]["network"]["address"], "127.0.0.1");
        assert!(client[0]["who"].is_object());
        // server 1..1: Source Role ID, who and network.
        let server = typed(agents, DICOM, "110153");
        assert_eq!(server.len(), 1);
        assert_eq!(server[0]["network"]["address"], "gw.example");
        // user 0..1: information recipient, requestor, role, purpose; no network.
        let user = typed(
            agents,
            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
            "IRCP",
        );
        assert_eq!(user.len(), 1);
        assert_eq!(user[0]["requestor"], true);
        assert_eq!(user[0]["who"]["identifier"]["value"], "ae-doctor");
        assert_eq!(user[0]["role"][0]["text"], "hospital-clinician");
        assert_eq!(user[0]["purposeOfUse"][0]["coding"][0]["code"], "TREAT");
        assert!(user[0].get("network").is_none());
        let entities = &e["entity"];
        // patient 1..1: Person, role Patient, what a Patient reference.
        let patient = typed(entities, ENTITY_TYPE, "1");
        assert_eq!(patient.len(), 1);
        assert_eq!(patient[0]["role"]["code"], "1");
        assert_eq!(patient[0]["role"]["system"], OBJECT_ROLE);
        assert_eq!(patient[0]["what"]["type"], "Patient");
        assert_eq!(patient[0]["what"]["identifier"]["value"], "9990000018");
        // data 1..1: System Object, role from RestObjectRoles (Domain Resource), what.
        let data = typed(entities, ENTITY_TYPE, "2");
        assert_eq!(data.len(), 1, "exactly one System Object entity");
        assert_eq!(data[0]["role"]["code"], "4");
        assert!(data[0]["what"].is_object());
        // transaction 0..1: the X-Request-Id.
        let tx = typed(entities, BALP_ENTITY_TYPE, "XrequestId");
        assert_eq!(tx.len(), 1);
        assert_eq!(
            tx[0]["what"]["identifier"]["value"],
            "0123456789abcdef0123456789abcdef"
        );
    }

    /// BALP's Query and PatientQuery profiles.
    #[test]
    fn a_context_opened_by_search_has_the_shape_of_balp_patient_query() {
        let e = audit_event(
            &row(
                "context.open",
                Some("safeguarding referral"),
                Some("10.1.2.3"),
            ),
            "gw.example",
        );
        assert_eq!(e["meta"]["profile"][0], PATIENT_QUERY);
        assert!(
            e["subtype"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["system"] == INTERACTION && s["code"] == "search-type")
        );
        assert_eq!(e["action"], "E");
        // The client sends the query: Source Role ID; the gateway is the destination.
        let client = typed(&e["agent"], DICOM, "110153");
        assert_eq!(client[0]["network"]["address"], "10.1.2.3");
        assert_eq!(
            typed(&e["agent"], DICOM, "110152")[0]["who"]["identifier"]["value"],
            "gw.example"
        );
        let query = typed(&e["entity"], ENTITY_TYPE, "2");
        assert_eq!(query.len(), 1);
        assert_eq!(query[0]["role"]["code"], "24");
        assert!(query[0].get("what").is_none(), "a query entity has no what");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(query[0]["query"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"
        );
        assert!(
            query[0]["description"]
                .as_str()
                .unwrap()
                .contains("safeguarding referral")
        );
        assert_eq!(
            typed(&e["entity"], ENTITY_TYPE, "1").len(),
            1,
            "the patient"
        );
    }

    #[test]
    fn refusals_and_rows_without_a_client_address_claim_no_profile() {
        let mut refused = row("record.view", Some("patient_dissent"), Some("127.0.0.1"));
        refused.fields.outcome = "refused".into();
        let e = audit_event(&refused, "gw");
        assert_eq!(e["outcome"], "4");
        assert!(e.get("meta").is_none());
        assert_eq!(e["outcomeDesc"], "patient_dissent");
        let tool = audit_event(&row("record.view", None, None), "gw");
        assert!(tool.get("meta").is_none());
        assert_eq!(
            typed(&tool["agent"], DICOM, "110152")[0]["who"]["display"],
            "not recorded"
        );
        // A launch opens a context without a search: a create, not a query.
        let launch = audit_event(&row("context.open", None, Some("127.0.0.1")), "gw");
        assert_eq!(launch["action"], "C");
        assert!(launch.get("meta").is_none());
    }

    #[test]
    fn break_glass_use_is_emergency_treatment_and_break_the_glass() {
        let e = audit_event(
            &row(
                "record.view",
                Some("break-glass bg-1; asking: gp"),
                Some("127.0.0.1"),
            ),
            "gw",
        );
        let codes: Vec<&str> = e["purposeOfEvent"][0]["coding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["ETREAT", "BTG"]);
    }

    #[test]
    fn the_request_id_is_an_entity_of_balp_type_x_request_id() {
        let mut without = row("record.view", None, None);
        without.fields.request_id = None;
        let without = audit_event(&without, "gw");
        assert!(typed(&without["entity"], BALP_ENTITY_TYPE, "XrequestId").is_empty());
        // Patient, data and chain position.
        assert_eq!(without["entity"].as_array().unwrap().len(), 3);
    }
}
