-- The live dashboard's once-a-second reads. Keep in step with the other back end's folder.
-- orders_received: orders received per minute over the last hour (the orders-in flow).
-- lims_deliveries_flow: items per flow and state without reading the table.
CREATE INDEX orders_received ON orders(received_at);
CREATE INDEX lims_deliveries_flow ON lims_deliveries(source_kind, status);
