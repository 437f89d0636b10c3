mod common;
use common::fixture;
use engine::formats::illumina::{self, Completion};

#[test]
fn novaseq_x_run_folder_parses_with_real_values() {
    let run =
        illumina::read_run_folder(&fixture("illumina/20231108_LH00188_0028_B22F52TLT3")).unwrap();
    assert_eq!(run.run_id, "20231108_LH00188_0028_B22F52TLT3");
    assert_eq!(run.flowcell, "22F52TLT3");
    assert_eq!(run.instrument, "LH00188");
    assert_eq!(run.platform, "NovaSeq X");
    assert_eq!(run.lanes, Some(8));
    assert_eq!(
        run.reads.iter().map(|r| r.cycles).collect::<Vec<_>>(),
        vec![151, 10, 10, 151]
    );
    let first = &run.samples[0];
    assert_eq!(
        (
            first.sample_id.as_str(),
            first.lane,
            first.index1.as_deref(),
            first.index2.as_deref()
        ),
        ("ACC13169A1", Some(1), Some("CACGAGCG"), Some("ATCTGCCA"))
    );
}

#[test]
fn every_fixture_run_folder_parses() {
    for (dir, platform, flowcell) in [
        ("170517_ST-E00266_0210_BHJCFFALXX", "HiSeq X", "HJCFFALXX"),
        ("190927_A00689_0069_BHLYWYDSXX", "NovaSeq 6000", "HLYWYDSXX"),
        ("230912_A00187_1009_AHK33MDRX3", "NovaSeq 6000", "HK33MDRX3"),
    ] {
        let run = illumina::read_run_folder(&fixture(&format!("illumina/{dir}"))).unwrap();
        assert_eq!(
            (run.platform.as_str(), run.flowcell.as_str()),
            (platform, flowcell),
            "{dir}"
        );
    }
}

#[test]
fn completion_needs_copycomplete_not_just_rtacomplete() {
    let src = fixture("illumina/20231108_LH00188_0028_B22F52TLT3");
    assert_eq!(illumina::completion(&src), Completion::Complete);
    let tmp = tempfile::tempdir().unwrap();
    for f in [
        "RunInfo.xml",
        "RunParameters.xml",
        "RTAComplete.txt",
        "RunCompletionStatus.xml",
    ] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    assert_eq!(
        illumina::completion(tmp.path()),
        Completion::InProgress {
            waiting_for: "CopyComplete.txt".into()
        }
    );
    std::fs::copy(
        src.join("CopyComplete.txt"),
        tmp.path().join("CopyComplete.txt"),
    )
    .unwrap();
    assert_eq!(illumina::completion(tmp.path()), Completion::Complete);
    std::fs::write(
        tmp.path().join("RunCompletionStatus.xml"),
        "<RunCompletionStatus><RunStatus>RunErrored</RunStatus></RunCompletionStatus>",
    )
    .unwrap();
    assert_eq!(
        illumina::completion(tmp.path()),
        Completion::Failed {
            status: "RunErrored".into()
        }
    );
}

#[test]
fn unfinished_fixture_run_is_never_complete() {
    assert!(matches!(
        illumina::completion(&fixture(
            "illumina-incomplete/20231108_LH00188_0028_B22F52TLT3"
        )),
        Completion::InProgress { .. }
    ));
}

#[test]
fn duplicate_sample_ids_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("SampleSheet.csv");
    std::fs::write(&p, "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,Index\n1,S1,AAAA\n1,S2,CCCC\n1,S1,GGGG\n").unwrap();
    let e = illumina::read_sample_sheet(&p).unwrap_err().to_string();
    assert!(
        e.contains("line 7") && e.contains("duplicate Sample_ID \"S1\""),
        "{e}"
    );
}

#[test]
fn truncated_run_info_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(
        "illumina/20231108_LH00188_0028_B22F52TLT3/RunInfo.xml",
    ))
    .unwrap();
    let p = tmp.path().join("RunInfo.xml");
    std::fs::write(&p, &text[..300]).unwrap();
    let e = illumina::read_run_info(&p).unwrap_err().to_string();
    assert!(
        e.contains("RunInfo.xml") && e.contains("not a valid RunInfo.xml"),
        "{e}"
    );
    std::fs::write(&p, "").unwrap();
    assert!(illumina::read_run_info(&p)
        .unwrap_err()
        .to_string()
        .contains("empty file"));
}
