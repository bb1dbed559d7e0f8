"""Validates the simulator's STU3 samples with PyPI fhir.resources 8.x (its STU3 models).

Usage: python stu3.py SAMPLES_DIR

Every file in SAMPLES_DIR/stu3 must validate; every file in SAMPLES_DIR/stu3-defects must
fail, and the error must name what the defect breaks. Prints a TAP-like summary (`# pass N`,
`# fail N`, then "N passed, N failed") and exits non-zero on any failure.
"""
import json
import pathlib
import sys

from fhir.resources.STU3 import get_fhir_model_class

# What each named defect must make the validator complain about.
EXPECTED = {
    "general-practitioner-as-object": "generalPractitioner",
    "codes-with-stray-spaces": "code",
    "entries-without-resource": "resource",
    "lists-without-status": "status",
}


def validate(path):
    data = json.loads(path.read_text())
    get_fhir_model_class(data["resourceType"]).model_validate(data)


def check_entries_have_resources(path):
    # Bundle invariant bdl-... "entry must have a resource unless request or response":
    # pydantic models do not check FHIRPath invariants, so the rule is checked here.
    data = json.loads(path.read_text())
    for i, e in enumerate(data.get("entry", [])):
        if "resource" not in e and "request" not in e and "response" not in e:
            raise ValueError(f"entry[{i}] has no resource")


def main(root):
    root = pathlib.Path(root)
    passed = failed = 0
    for path in sorted((root / "stu3").glob("*.json")):
        try:
            validate(path)
            check_entries_have_resources(path)
            passed += 1
            print(f"ok - stu3/{path.name}")
        except Exception as e:  # noqa: BLE001 - report any validation failure
            failed += 1
            print(f"not ok - stu3/{path.name}: {str(e)[:600]}")
    for path in sorted((root / "stu3-defects").glob("*.json")):
        want = EXPECTED[path.stem]
        try:
            validate(path)
            check_entries_have_resources(path)
            failed += 1
            print(f"not ok - stu3-defects/{path.name}: validated, but the defect should fail")
        except Exception as e:  # noqa: BLE001
            if want in str(e):
                passed += 1
                print(f"ok - stu3-defects/{path.name} fails naming {want!r}")
            else:
                failed += 1
                print(f"not ok - stu3-defects/{path.name}: failed without naming {want!r}: {str(e)[:300]}")
    print(f"# pass {passed}")
    print(f"# fail {failed}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1])
