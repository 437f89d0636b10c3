-- Lineage: the mapping version (name and body SHA-256) that built each message and LIMS
-- document. Empty for rows written before mappings were versioned.
ALTER TABLE messages ADD COLUMN mapping_name TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN mapping_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE lims_deliveries ADD COLUMN mapping_sha256 TEXT NOT NULL DEFAULT '';
