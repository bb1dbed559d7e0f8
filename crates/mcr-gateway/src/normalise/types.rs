//! The parts of upstream FHIR JSON (GP Connect STU3 and R4 alike) that the gateway
//! reads, as typed structs borrowing from the answer's body: only the fields
//! normalisation, the identity check and link-following use; everything else is skipped
//! unbuilt. Every type is lenient ([`super::lenient`]): a field of the wrong JSON type
//! reads as absent, never as an error, exactly as indexing a `Value` tree did.
//!
//! One [`Resource`] struct holds the fields of every resource type read (a Bundle, a
//! List and an OperationOutcome included), because the mapping is chosen by
//! `resourceType` at run time and one field name can mean different things in
//! different types (a Patient's `name` is a list, an Organization's a string; a Bundle's
//! `entry` holds resources, a List's references).

use super::lenient::{Lazy, Leaf, List, Obj, Present};
use crate::{lazy_empty, lenient};

lenient! {
    /// A FHIR resource of any type the gateway reads (the union of the fields it reads).
    pub struct Resource<'a> {
        /// `resourceType`.
        "resourceType" => resource_type: Leaf<'a>,
        /// Logical id.
        "id" => id: Leaf<'a>,
        /// Status: a code (STU3) or a CodeableConcept (R4).
        "status" => status: Lazy<Concept<'a>>,
        /// Clinical status (Condition, AllergyIntolerance).
        "clinicalStatus" => clinical_status: Lazy<Concept<'a>>,
        /// Verification status.
        "verificationStatus" => verification_status: Lazy<Concept<'a>>,
        /// Modifier extensions (only whether there are any matters).
        "modifierExtension" => modifier_extension: List<Leaf<'a>>,
        /// Extensions (related content, consultation topics, List warnings).
        "extension" => extension: List<Extension<'a>>,
        /// Identifiers.
        "identifier" => identifier: List<Identifier<'a>>,
        /// Contained resources.
        "contained" => contained: List<Resource<'a>>,
        /// Narrative.
        "text" => text: Narrative<'a>,
        /// The subject reference.
        "subject" => subject: Lazy<Reference<'a>>,
        /// The patient reference.
        "patient" => patient: Lazy<Reference<'a>>,
        /// A Patient's names, or an Organization's name (a string).
        "name" => name: List<HumanName<'a>>,
        /// Addresses.
        "address" => address: List<Address<'a>>,
        /// Date of birth.
        "birthDate" => birth_date: Leaf<'a>,
        /// Gender.
        "gender" => gender: Leaf<'a>,
        /// Date of death.
        "deceasedDateTime" => deceased_date_time: Leaf<'a>,
        /// The managing organisation.
        "managingOrganization" => managing_organization: Lazy<Reference<'a>>,
        /// The registered practice or GP.
        "generalPractitioner" => general_practitioner: List<Reference<'a>>,
        /// Code.
        "code" => code: Lazy<Concept<'a>>,
        /// Type (a list on Encounter, one concept elsewhere).
        "type" => type_: List<Concept<'a>>,
        /// Category (a list, or one concept).
        "category" => category: List<Concept<'a>>,
        /// Title.
        "title" => title: Leaf<'a>,
        /// Description.
        "description" => description: Leaf<'a>,
        /// Onset.
        "onsetDateTime" => onset_date_time: Leaf<'a>,
        /// Asserted date (STU3).
        "assertedDate" => asserted_date: Leaf<'a>,
        /// Recorded date (R4).
        "recordedDate" => recorded_date: Leaf<'a>,
        /// Abatement.
        "abatementDateTime" => abatement_date_time: Leaf<'a>,
        /// The medicine, by reference.
        "medicationReference" => medication_reference: Lazy<Reference<'a>>,
        /// The medicine, inline.
        "medicationCodeableConcept" => medication_codeable_concept: Lazy<Concept<'a>>,
        /// Effective period.
        "effectivePeriod" => effective_period: Lazy<Period<'a>>,
        /// Effective date.
        "effectiveDateTime" => effective_date_time: Leaf<'a>,
        /// Authored on.
        "authoredOn" => authored_on: Leaf<'a>,
        /// Date asserted.
        "dateAsserted" => date_asserted: Leaf<'a>,
        /// Dosage (STU3 MedicationStatement).
        "dosage" => dosage: List<Dosage<'a>>,
        /// Dosage instruction.
        "dosageInstruction" => dosage_instruction: List<Dosage<'a>>,
        /// Course of therapy.
        "courseOfTherapyType" => course_of_therapy_type: Lazy<Concept<'a>>,
        /// Based on (a MedicationStatement's MedicationRequest).
        "basedOn" => based_on: List<Reference<'a>>,
        /// Reason references (R4 links to a Condition).
        "reasonReference" => reason_reference: List<Reference<'a>>,
        /// Addresses (a CarePlan's Conditions).
        "addresses" => addresses: List<Reference<'a>>,
        /// Reactions.
        "reaction" => reaction: List<Reaction<'a>>,
        /// Issued.
        "issued" => issued: Leaf<'a>,
        /// A quantity value.
        "valueQuantity" => value_quantity: Obj<Quantity<'a>>,
        /// A string value.
        "valueString" => value_string: Leaf<'a>,
        /// A coded value.
        "valueCodeableConcept" => value_codeable_concept: Lazy<Concept<'a>>,
        /// A boolean value.
        "valueBoolean" => value_boolean: Leaf<'a>,
        /// Components.
        "component" => component: List<Component<'a>>,
        /// Reference ranges.
        "referenceRange" => reference_range: List<Range<'a>>,
        /// Interpretation.
        "interpretation" => interpretation: List<Concept<'a>>,
        /// Comment.
        "comment" => comment: Leaf<'a>,
        /// Conclusion.
        "conclusion" => conclusion: Leaf<'a>,
        /// Presented forms.
        "presentedForm" => presented_form: List<Attachment<'a>>,
        /// Period.
        "period" => period: Lazy<Period<'a>>,
        /// Encounter class.
        "class" => class: Lazy<Coding<'a>>,
        /// Reason codes.
        "reasonCode" => reason_code: List<Concept<'a>>,
        /// Date.
        "date" => date: Leaf<'a>,
        /// Created.
        "created" => created: Leaf<'a>,
        /// Indexed.
        "indexed" => indexed: Leaf<'a>,
        /// Content.
        "content" => content: List<Content<'a>>,
        /// Composition sections.
        "section" => section: List<CompositionSection<'a>>,
        /// Occurrence.
        "occurrenceDateTime" => occurrence_date_time: Leaf<'a>,
        /// Vaccine.
        "vaccineCode" => vaccine_code: Lazy<Concept<'a>>,
        /// Specialty.
        "specialty" => specialty: List<Concept<'a>>,
        /// Service requested (STU3 ReferralRequest).
        "serviceRequested" => service_requested: List<Concept<'a>>,
        /// A Bundle's or a List's entries.
        "entry" => entry: List<Entry<'a>>,
        /// A Bundle's links.
        "link" => link: List<Link<'a>>,
        /// An OperationOutcome's issues.
        "issue" => issue: List<Issue<'a>>,
    }
}

lenient! {
    /// A Bundle entry (`resource`) or a List entry (`item`).
    pub struct Entry<'a> {
        /// The resource, whenever the key is there (even `null`).
        "resource" => resource: Present<Box<Resource<'a>>>,
        /// The item a List entry refers to.
        "item" => item: Lazy<Reference<'a>>,
    }
}

lenient! {
    /// A Reference.
    pub struct Reference<'a> {
        /// `Type/id`, absolute, or `#local`.
        "reference" => reference: Leaf<'a>,
        /// A logical reference's identifier.
        "identifier" => identifier: Identifier<'a>,
    }
}

lenient! {
    /// An Identifier.
    pub struct Identifier<'a> {
        /// System.
        "system" => system: Leaf<'a>,
        /// Value.
        "value" => value: Leaf<'a>,
    }
}

lenient! {
    /// A CodeableConcept, or the code an STU3 status is instead.
    pub struct Concept<'a> {
        @string string;
        /// Text.
        "text" => text: Leaf<'a>,
        /// Codings.
        "coding" => coding: List<Coding<'a>>,
    }
}

lenient! {
    /// A Coding.
    pub struct Coding<'a> {
        /// System.
        "system" => system: Leaf<'a>,
        /// Code.
        "code" => code: Leaf<'a>,
        /// Display.
        "display" => display: Leaf<'a>,
    }
}

lenient! {
    /// An Extension (nested ones included).
    pub struct Extension<'a> {
        /// URL.
        "url" => url: Leaf<'a>,
        /// A code value.
        "valueCode" => value_code: Leaf<'a>,
        /// A reference value.
        "valueReference" => value_reference: Reference<'a>,
        /// Nested extensions.
        "extension" => extension: List<Extension<'a>>,
    }
}

lenient! {
    /// A HumanName (or an Organization's name, kept as the string).
    pub struct HumanName<'a> {
        @string string;
        /// Use.
        "use" => use_: Leaf<'a>,
        /// Family name.
        "family" => family: Leaf<'a>,
        /// Given names.
        "given" => given: List<Leaf<'a>>,
    }
}

lenient! {
    /// An Address.
    pub struct Address<'a> {
        /// Use.
        "use" => use_: Leaf<'a>,
        /// Lines.
        "line" => line: List<Leaf<'a>>,
        /// City.
        "city" => city: Leaf<'a>,
        /// District.
        "district" => district: Leaf<'a>,
        /// Postcode.
        "postalCode" => postal_code: Leaf<'a>,
    }
}

lenient! {
    /// A Period.
    pub struct Period<'a> {
        /// Start.
        "start" => start: Leaf<'a>,
        /// End.
        "end" => end: Leaf<'a>,
    }
}

lenient! {
    /// A Quantity.
    pub struct Quantity<'a> {
        /// Value (a number, or a string in poor data).
        "value" => value: Leaf<'a>,
        /// Unit.
        "unit" => unit: Leaf<'a>,
        /// Code.
        "code" => code: Leaf<'a>,
        /// Comparator.
        "comparator" => comparator: Leaf<'a>,
    }
}

lenient! {
    /// An Observation's reference range.
    pub struct Range<'a> {
        /// Text.
        "text" => text: Leaf<'a>,
        /// Low.
        "low" => low: Quantity<'a>,
        /// High.
        "high" => high: Quantity<'a>,
    }
}

lenient! {
    /// A Narrative.
    pub struct Narrative<'a> {
        /// The XHTML.
        "div" => div: Leaf<'a>,
    }
}

lenient! {
    /// An Attachment.
    pub struct Attachment<'a> {
        /// Content type.
        "contentType" => content_type: Leaf<'a>,
        /// Base64 data.
        "data" => data: Leaf<'a>,
    }
}

lenient! {
    /// A DocumentReference's content.
    pub struct Content<'a> {
        /// The attachment.
        "attachment" => attachment: Attachment<'a>,
    }
}

lenient! {
    /// A Dosage.
    pub struct Dosage<'a> {
        /// Text.
        "text" => text: Leaf<'a>,
    }
}

lenient! {
    /// An AllergyIntolerance reaction.
    pub struct Reaction<'a> {
        /// Manifestations.
        "manifestation" => manifestation: List<Concept<'a>>,
    }
}

lenient! {
    /// An Observation component.
    pub struct Component<'a> {
        /// Code.
        "code" => code: Lazy<Concept<'a>>,
        /// Quantity.
        "valueQuantity" => value_quantity: Quantity<'a>,
    }
}

lenient! {
    /// A Composition section.
    pub struct CompositionSection<'a> {
        /// Title.
        "title" => title: Leaf<'a>,
        /// Narrative.
        "text" => text: Narrative<'a>,
    }
}

lenient! {
    /// A Bundle link.
    pub struct Link<'a> {
        /// Relation.
        "relation" => relation: Leaf<'a>,
        /// URL.
        "url" => url: Leaf<'a>,
    }
}

lenient! {
    /// An OperationOutcome issue.
    pub struct Issue<'a> {
        /// Issue type code.
        "code" => code: Leaf<'a>,
        /// Details.
        "details" => details: Concept<'a>,
    }
}

/// The empty values absent boxed fields read as.
static EMPTY_CONCEPT: Concept<'static> = Concept {
    string: Leaf::Null,
    text: Leaf::Null,
    coding: List::EMPTY,
};
static EMPTY_REFERENCE: Reference<'static> = Reference {
    reference: Leaf::Null,
    identifier: Identifier {
        system: Leaf::Null,
        value: Leaf::Null,
    },
};
static EMPTY_PERIOD: Period<'static> = Period {
    start: Leaf::Null,
    end: Leaf::Null,
};
static EMPTY_CODING: Coding<'static> = Coding {
    system: Leaf::Null,
    code: Leaf::Null,
    display: Leaf::Null,
};
lazy_empty!(Concept, EMPTY_CONCEPT);
lazy_empty!(Reference, EMPTY_REFERENCE);
lazy_empty!(Period, EMPTY_PERIOD);
lazy_empty!(Coding, EMPTY_CODING);

#[cfg(test)]
mod tests {
    use super::*;

    /// `levels` resources, each nested in the one before through `open`…`close`.
    fn nested(levels: usize, open: &str, close: &str) -> String {
        let mut text = String::new();
        for _ in 0..levels {
            text.push_str(open);
        }
        text.push_str("{}");
        for _ in 0..levels {
            text.push_str(close);
        }
        text
    }

    #[test]
    fn resources_nested_however_deep_read_without_exhausting_the_stack() {
        // Read on a thread with the stack a tokio worker has (2 MiB).
        let deepest = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                let contained = nested(
                    500,
                    r#"{"resourceType": "Observation", "contained": ["#,
                    "]}",
                );
                let entries = nested(500, r#"{"entry": [{"resource": "#, "}]}");
                serde_json::from_str::<Resource<'_>>(&contained).is_ok()
                    && serde_json::from_str::<Resource<'_>>(&entries).is_ok()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(deepest);
    }

    #[test]
    fn an_object_where_a_string_belongs_and_a_string_where_an_object_belongs_read_as_nothing() {
        let r: Resource<'_> = serde_json::from_str(
            r#"{"resourceType": {"x": 1}, "id": ["a"], "subject": "Patient/1", "code": "x",
                "status": "active", "valueQuantity": [1], "entry": "e"}"#,
        )
        .unwrap();
        assert_eq!(r.resource_type, Leaf::Other);
        assert!(r.subject.reference.is_null());
        assert!(r.code.text.is_null() && r.code.coding.is_empty());
        assert!(r.status.string.is("active"));
        assert!(r.value_quantity.0.is_none());
        assert!(r.entry.single().is_some_and(|e| e.resource.0.is_none()));
    }
}
