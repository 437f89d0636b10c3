-- A report is linked to its order by accession AND sample. The accession comes from the
-- VCF's file name (watch.vcf_accession_pattern); NULL when the name carries none.
ALTER TABLE reports ADD COLUMN accession TEXT;
CREATE INDEX reports_waiting ON reports (accession, sample_id, status);
