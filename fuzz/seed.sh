#!/bin/sh
# Fills fuzz/corpus/<target>/ from the shared fixtures and the engine's test fixtures
# (never committed: see .gitignore).
set -e
cd "$(dirname "$0")"
F=${GENOBRIDGE_FIXTURES:-../../shared/fixtures}
mkdir -p corpus/illumina_xml corpus/sample_sheet corpus/quantstudio corpus/tapestation corpus/qubit corpus/fragment_analyzer corpus/delimited
i=0
for f in "$F"/illumina/*/RunInfo.xml "$F"/illumina/*/[Rr]unParameters.xml "$F"/illumina/*/RunCompletionStatus.xml; do
  case $f in *RunInfo.xml) b='\000';; *arameters.xml) b='\001';; *) b='\002';; esac
  { printf "$b"; cat "$f"; } > corpus/illumina_xml/seed$i; i=$((i+1))
done
for f in "$F"/illumina/*/*SampleSheet*.csv; do cp "$f" corpus/sample_sheet/$(echo "$f" | md5sum | cut -c1-12); done
cp "$F"/qc/quantstudio/* corpus/quantstudio/
cp "$F"/qc/tapestation/* corpus/tapestation/
cp "$F"/qc/qubit/* corpus/qubit/
{ printf '\000'; cat "../engine/tests/fixtures/fragment_analyzer/LibQC 2026-11-25 Peak Table.csv"; } > corpus/fragment_analyzer/peaks
{ printf '\001'; cat "../engine/tests/fixtures/fragment_analyzer/LibQC 2026-11-25 Smear Analysis Result.csv"; } > corpus/fragment_analyzer/smear
printf '\000Sample ID,Conc,Well,Pass\nS1,1.5,1,true\nS2,"2,000.5",2,no\n' > corpus/delimited/comma
printf '\005preamble\nSample ID\tConc\tWell\tPass\nS1\t1.5\t1\ttrue\n' > corpus/delimited/tab
