//! `mcr-gateway audit export`: audit rows as NDJSON (the stored rows, chain fields
//! included) or as FHIR R4 AuditEvent resources (one per line).

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

/// One output line for `row`.
pub fn line(row: &AuditRow, format: Format) -> String {
    match format {
        Format::Ndjson => serde_json::to_string(row).unwrap_or_default(),
        Format::Fhir => audit_event(row).to_string(),
    }
}

/// IHE BALP's entity types (its `XrequestId` code carries an `X-Request-Id`).
pub const BALP_ENTITY_TYPE: &str =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";

/// The row as a FHIR R4 AuditEvent (outcome codes 0 success, 4 minor failure, 8 serious
/// failure; action R for reads, E for executions such as pruning).
pub fn audit_event(row: &AuditRow) -> Value {
    let f = &row.fields;
    let outcome = match f.outcome.as_str() {
        "allowed" => "0",
        "refused" => "4",
        _ => "8",
    };
    let action = if f.action.starts_with("audit.") {
        "E"
    } else {
        "R"
    };
    let mut entities = vec![json!({
        "what": {"identifier": {"system": "urn:mcr:audit-chain", "value": format!("{}:{}", row.seq, row.hash)}},
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object"},
    })];
    if let Some(nhs) = &f.nhs_number {
        entities.push(json!({
            "what": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
        }));
    }
    // The request that caused the row, as IHE BALP records an X-Request-Id.
    if let Some(id) = &f.request_id {
        entities.push(json!({
            "what": {"identifier": {"value": id}},
            "type": {"system": BALP_ENTITY_TYPE, "code": "XrequestId", "display": "X-Request-Id"},
        }));
    }
    let mut agent = json!({
        "who": {"identifier": {"value": f.user_id}},
        "requestor": true,
    });
    if let Some(role) = &f.user_role {
        agent["role"] = json!([{"text": role}]);
    }
    if let Some(org) = &f.org_ods {
        agent["location"] = json!({"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": org}});
    }
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": format!("mcr-audit-{}", row.seq),
        "type": {"system": "urn:mcr:audit-action", "code": f.action},
        "action": action,
        "recorded": f.at,
        "outcome": outcome,
        "agent": [agent],
        "source": {"observer": {"display": "mcr-gateway"}},
        "entity": entities,
    });
    if let Some(detail) = &f.detail {
        event["outcomeDesc"] = json!(detail);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditFields;

    fn row(request_id: Option<&str>) -> AuditRow {
        AuditRow {
            seq: 3,
            fields: AuditFields {
                nhs_number: Some("9990000018".into()),
                request_id: request_id.map(Into::into),
                ..AuditFields::event("ae-doctor", "record.view", "allowed", None)
            },
            prev_hash: String::new(),
            hash: "ab".into(),
        }
    }

    #[test]
    fn the_request_id_is_an_entity_of_balp_type_x_request_id() {
        let event = audit_event(&row(Some("0123456789abcdef0123456789abcdef")));
        let entity = event["entity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"]["code"] == "XrequestId")
            .expect("the request id entity");
        assert_eq!(entity["type"]["system"], BALP_ENTITY_TYPE);
        assert_eq!(
            entity["what"]["identifier"]["value"],
            "0123456789abcdef0123456789abcdef"
        );
        // Rows without one (older rows, rows no request caused) have no such entity.
        let without = audit_event(&row(None));
        assert!(
            without["entity"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["type"]["code"] != "XrequestId")
        );
        assert_eq!(without["entity"].as_array().unwrap().len(), 2);
    }
}
