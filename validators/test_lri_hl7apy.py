"""Judge 4 (issue #4): hl7apy parses every ORU^R01 GenoBridge builds, from every VCF
fixture, with VALIDATION_LEVEL.STRICT for v2.5.1 structure; plus an LRI check of OBX-4
grouping and the LOINC answer codes."""
import os
import pathlib
import re
import subprocess

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = pathlib.Path(os.environ.get("GENOBRIDGE_FIXTURES", ROOT.parent / "shared" / "fixtures"))
BIN = ROOT / "target" / "debug" / "genobridge"
VCFS = sorted(p for p in (FIXTURES / "vcf").iterdir() if re.search(r"\.vcf(\.gz)?$", p.name))
CODES = (ROOT / "engine" / "src" / "messages" / "codes.rs").read_text()


# Each VCF fixture that ships with the BED of the regions its test studied.
WITH_REGIONS = [
    ("vcf_example3.vcf", "RegionsStudied_example3.bed"),
    ("vcf_example4.vcf", "RegionsStudied_example4.bed"),
    ("HG00403A.vcf.gz", "HG00403A_studied.bed"),
]


def convert(path, regions=None):
    args = [BIN, "convert", "--to", "lri", "--assembly", "GRCh37", path]
    if regions:
        args += ["--regions", regions]
    out = subprocess.run(args, capture_output=True, check=True)
    return out.stdout.decode().strip().replace("\n", "\r")


def outputs():
    """Every VCF fixture alone, plus those with a BED also with their regions studied."""
    cases = [pytest.param(v, None, id=v.name) for v in VCFS]
    for vcf, bed in WITH_REGIONS:
        cases.append(pytest.param(FIXTURES / "vcf" / vcf, FIXTURES / "vcf" / bed, id=f"{vcf}+{bed}"))
    return cases


def test_there_are_fixtures():
    assert len(VCFS) >= 8


@pytest.mark.parametrize("vcf,bed", outputs())
def test_hl7apy_strict_accepts_the_oru(vcf, bed):
    msg = parse_message(convert(vcf, bed), validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert msg.name == "ORU_R01"
    assert msg.validate()


@pytest.mark.parametrize("vcf,bed", outputs())
def test_lri_obx_groups_and_codes(vcf, bed):
    obx = [s.split("|") for s in convert(vcf, bed).split("\r") if s.startswith("OBX|")]
    groups = {}
    for i, f in enumerate(obx, start=1):
        assert f[1] == str(i), "OBX-1 counts from 1"
        code = f[3].split("^")[0]
        assert f'"{code}"' in CODES, f"OBX-3 {code} is not in the codes table"
        for la in re.findall(r"LA\d+-\d", f[5]):
            assert f'"{la}"' in CODES, f"answer {la} is not in the codes table"
        groups.setdefault(f[4], []).append(code)
    for sub_id, codes in groups.items():
        if sub_id == "1":
            assert codes == ["51968-6"]
        elif re.fullmatch(r"1[a-z]+", sub_id):
            assert codes == ["48013-7"], f"region group {sub_id} names its reference sequence"
        elif re.fullmatch(r"1[a-z]+\.[a-z]+", sub_id):
            assert codes == ["51959-5"], f"range {sub_id} is one range examined"
            assert sub_id.split(".")[0] in groups, f"range {sub_id} follows its sequence"
        else:
            assert codes[0] == "69548-6", f"group {sub_id} must open with the variant assessment"
            assert len(codes) == len(set(codes)), f"group {sub_id} repeats an observation"


def test_the_judge_rejects_a_broken_message():
    text = convert(FIXTURES / "vcf" / "NB6TK328_filtered.vcf").replace("\rOBR|1|", "\rOBR|X|", 1)
    with pytest.raises(Exception):
        parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()


@pytest.mark.parametrize("vcf,bed", WITH_REGIONS)
def test_regions_studied_are_sent_as_1_based_ranges(vcf, bed):
    """The BED's regions, merged where they touch or overlap, each become one 51959-5
    range (0-based start made 1-based, as the LRI reference does) under its chromosome."""
    text = convert(FIXTURES / "vcf" / vcf, FIXTURES / "vcf" / bed)
    sent = sorted(s.split("|")[5] for s in text.split("\r") if s.startswith("OBX|") and "|51959-5^" in s)
    by_chrom = {}
    for line in (FIXTURES / "vcf" / bed).read_text().splitlines():
        if line.strip() and not line.startswith(("#", "track", "browser")):
            f = line.split("\t")
            by_chrom.setdefault(f[0], []).append((int(f[1]), int(f[2])))
    expected = []
    for ranges in by_chrom.values():
        merged = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        expected += [f"{s + 1}^{e}" for s, e in merged]
    assert sent == sorted(expected)
    chromosomes = [s for s in text.split("\r") if s.startswith("OBX|") and "|48013-7^" in s and s.split("|")[4].startswith("1")]
    assert len(chromosomes) == len(by_chrom)
