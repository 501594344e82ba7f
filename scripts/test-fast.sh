#!/usr/bin/env bash
# The fast tier, for the edit-compile-test loop: the unit tests and the integration tests that
# run in-process on the embedded catalog, with no root, no Python, no server and no browser
# (a RAWG stand-in runs inside the tests). It needs only the recorded RAWG data at
# ../shared/data/rawg. `scripts/test.sh` runs everything, these included.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --lib --bins
# Modules whose tests need none of the outside parts, less the tests of mixed modules that do
# (SeaweedFS, Nessie, pyiceberg, Spark or Chromium). `backfill::` needs none either but takes
# a minute alone (20,000 games through the RAWG stand-in): the full suite runs it.
exec cargo test --test it -- \
  bad_input:: catalog:: checks:: cli:: concurrent:: daily:: evolve:: fuzz:: http_ingest:: ops:: \
  pipeline:: publish:: report:: secrets:: sync:: upstream:: \
  --skip evolve::a_table_from_an_earlier_release_gains_new_columns_in_place \
  --skip publish::a_kill_around_the_publish \
  --skip publish::a_publish_that_conflicts_on_one_table_changes_none_embedded_seaweedfs_and_nessie \
  --skip publish::a_publish_whose_answer_is_lost \
  --skip publish::a_run_that_lost_its_lease_stops_without_publishing \
  --skip publish::as_of_reads_an_earlier_run_with_lineage_and_refuses_once_it_is_expired \
  --skip publish::rollback_publishes_an_earlier_run_and_the_next_run_processes_again \
  --skip report::every_figure_is_what_gamelake_sql_answers_and_a_browser_shows_it \
  --skip secrets::s3_keys_and_catalog_credentials_appear_in_no_output_and_no_stored_object \
  --skip sync::a_plain_run_backfills_then_asks_only_for_what_changed \
  --skip upstream::an_append_after_a_java_rewrite_brings_the_removed_files_back \
  --skip upstream::java_position_delete_files_are_skipped_by_iceberg_rusts_manifest_reader \
  --skip upstream::nessie_refuses_a_create_request_without_stage_create \
  "$@"
