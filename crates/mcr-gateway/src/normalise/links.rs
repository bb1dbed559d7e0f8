//! Links from a problem to the entries recorded about it, which withholding follows: a
//! sensitive problem's related content (its medicines, its consultation notes) is
//! withheld with it, because it tells the same story.
//!
//! The links are read from what sources send: GP Connect's
//! `RelatedClinicalContent` extension on a problem (a MedicationRequest named there
//! stands for the MedicationStatements based on it) and consultation topics carrying a
//! `RelatedProblemHeader` extension (everything the topic lists, through nested
//! category lists); in FHIR R4, a resource's `reasonReference` or `addresses` naming a
//! Condition.

use std::collections::HashMap;

use super::fhir::text;
use super::types::{Extension, Reference, Resource};

/// The deepest nesting of topic and category lists followed.
const MAX_LIST_DEPTH: usize = 4;

/// A reference's `(type, id)`: neither part holds a `/`, so comparing these pairs is
/// comparing the `Type/id` strings.
type Key<'r> = (&'r str, &'r str);

/// `(problem id, related resource id)` pairs found among `resources`; ids are the
/// resources' logical ids, as entries carry them.
pub fn related<'r, 'a: 'r>(
    resources: impl IntoIterator<Item = &'r Resource<'a>>,
) -> Vec<(String, String)> {
    let resources: Vec<&Resource<'_>> = resources.into_iter().collect();
    let mut by_ref: HashMap<Key<'_>, &Resource<'_>> = HashMap::with_capacity(resources.len());
    by_ref.extend(
        resources
            .iter()
            .filter_map(|r| Some(((r.resource_type.as_str()?, r.id.as_str()?), *r))),
    );
    // MedicationStatements by the MedicationRequest they are based on.
    let mut statements: HashMap<Key<'_>, Vec<&str>> = HashMap::new();
    for r in resources
        .iter()
        .filter(|r| r.resource_type.is("MedicationStatement"))
    {
        let Some(id) = r.id.text() else { continue };
        for based_on in &r.based_on {
            if let Some(target) = reference_key(based_on) {
                statements.entry(target).or_default().push(id);
            }
        }
    }
    let mut links = Vec::new();
    for r in &resources {
        let Some(id) = text(&r.id) else { continue };
        match r.resource_type.as_str() {
            Some("Condition") => {
                for x in r
                    .extension
                    .iter()
                    .filter(|x| url_has(x, "RelatedClinicalContent"))
                {
                    let Some(target) = reference_key(&x.value_reference) else {
                        continue;
                    };
                    for based in statements.get(&target).into_iter().flatten() {
                        links.push((id.clone(), (*based).to_string()));
                    }
                    links.push((id.clone(), target.1.to_string()));
                }
            }
            Some("List") => {
                let problems: Vec<&str> = r
                    .extension
                    .iter()
                    .filter(|x| url_has(x, "RelatedProblemHeader"))
                    .flat_map(|x| x.extension.iter())
                    .filter(|x| x.url.is("target"))
                    .filter_map(|x| reference_key(&x.value_reference))
                    .filter(|(ty, _)| *ty == "Condition")
                    .map(|(_, id)| id)
                    .collect();
                if !problems.is_empty() {
                    let mut items = Vec::new();
                    list_items(r, &by_ref, 0, &mut items);
                    for problem in &problems {
                        links.extend(
                            items
                                .iter()
                                .map(|item| ((*problem).to_string(), (*item).to_string())),
                        );
                    }
                }
            }
            _ => {}
        }
        // R4: a resource recorded for a condition.
        for reference in r.reason_reference.iter().chain(&r.addresses) {
            if let Some(("Condition", target)) = reference_key(reference) {
                links.push((target.to_string(), id.clone()));
            }
        }
    }
    links.sort();
    links.dedup();
    links
}

/// The ids of everything `list` holds, following nested lists.
fn list_items<'r>(
    list: &'r Resource<'_>,
    by_ref: &HashMap<Key<'_>, &'r Resource<'_>>,
    depth: usize,
    out: &mut Vec<&'r str>,
) {
    for entry in &list.entry {
        let Some(key) = reference_key(&entry.item) else {
            continue;
        };
        out.push(key.1);
        if key.0 == "List"
            && depth < MAX_LIST_DEPTH
            && let Some(nested) = by_ref.get(&key)
        {
            list_items(nested, by_ref, depth + 1, out);
        }
    }
}

fn url_has(extension: &Extension<'_>, name: &str) -> bool {
    extension.url.as_str().is_some_and(|u| u.contains(name))
}

/// `(type, id)` of a Reference (relative or absolute).
fn reference_key<'r>(reference: &'r Reference<'_>) -> Option<Key<'r>> {
    let r = reference.reference.as_str()?.trim();
    let mut parts = r.rsplit('/');
    let id = parts.next()?;
    let ty = parts.next()?;
    (!id.is_empty() && !ty.is_empty()).then_some((ty, id))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::normalise::fhir::read;

    fn related_of(values: &[Value]) -> Vec<(String, String)> {
        let resources: Vec<Resource<'_>> = values.iter().map(read).collect();
        related(resources.iter())
    }

    #[test]
    fn gp_connect_related_content_and_consultation_topics_link_to_their_problem() {
        let resources = [
            json!({"resourceType": "Condition", "id": "p1", "extension": [
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1",
                 "valueReference": {"reference": "MedicationRequest/mr1"}},
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1",
                 "valueReference": {"reference": "Observation/o9"}}]}),
            json!({"resourceType": "MedicationStatement", "id": "ms1", "basedOn": [{"reference": "MedicationRequest/mr1"}]}),
            json!({"resourceType": "List", "id": "topic", "extension": [
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1",
                 "extension": [{"url": "target", "valueReference": {"reference": "Condition/p1"}}]}],
                "entry": [{"item": {"reference": "Observation/note1"}}, {"item": {"reference": "List/cat"}}]}),
            json!({"resourceType": "List", "id": "cat", "entry": [{"item": {"reference": "Observation/note2"}}]}),
            // A topic about another problem links nothing to p1.
            json!({"resourceType": "List", "id": "other", "extension": [
                {"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1",
                 "extension": [{"url": "target", "valueReference": {"reference": "Condition/p2"}}]}],
                "entry": [{"item": {"reference": "Observation/note3"}}]}),
        ];
        let links = related_of(&resources);
        let of_p1: Vec<&str> = links
            .iter()
            .filter(|(p, _)| p == "p1")
            .map(|(_, r)| r.as_str())
            .collect();
        assert_eq!(of_p1, ["cat", "mr1", "ms1", "note1", "note2", "o9"]);
        assert!(links.contains(&("p2".into(), "note3".into())));
    }

    #[test]
    fn r4_reasons_link_a_resource_to_its_condition() {
        let resources = [
            json!({"resourceType": "MedicationRequest", "id": "m1", "reasonReference": [{"reference": "Condition/c1"}]}),
            json!({"resourceType": "CarePlan", "id": "cp", "addresses": [{"reference": "https://x.invalid/r4/Condition/c1"}]}),
            json!({"resourceType": "Encounter", "id": "e1", "reasonReference": [{"reference": "Procedure/x"}]}),
        ];
        assert_eq!(
            related_of(&resources),
            [
                ("c1".to_string(), "cp".to_string()),
                ("c1".into(), "m1".into())
            ]
        );
    }

    #[test]
    fn nested_lists_that_refer_to_each_other_end() {
        let resources = [
            json!({"resourceType": "List", "id": "a", "extension": [
                {"url": "Extension-CareConnect-RelatedProblemHeader-1",
                 "extension": [{"url": "target", "valueReference": {"reference": "Condition/p"}}]}],
                "entry": [{"item": {"reference": "List/b"}}]}),
            json!({"resourceType": "List", "id": "b", "entry": [{"item": {"reference": "List/a"}}]}),
        ];
        let links = related_of(&resources);
        assert_eq!(
            links,
            [("p".to_string(), "a".to_string()), ("p".into(), "b".into())]
        );
    }
}
