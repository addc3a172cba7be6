"""An audit in stages: plan, execute, assess, decide, write.

Every kind of audit chains the same stages, each a function with typed input and output:

============  =====================================  ====================================
stage         function (module)                      input -> output
============  =====================================  ====================================
plan          ``auditkit.audit.plan_audit``,          options -> ``PlannedAudit`` /
              ``auditkit.script.audit.               ``PlannedScript`` (a ``Planned``)
              plan_script_audit``
execute       ``open_runs`` + ``RunSession.run``      ``ExecuteSettings``, runs ->
              (``pipeline.execute``); the looks of    ``Executed``
              ``--seeds auto``: ``take_looks``
              (``pipeline.looks``)
assess        ``assess_rules`` (``pipeline.assess``)  ``Plan``, ``AssessContext`` ->
                                                      findings by rule id
decide        ``decide`` (``pipeline.decide``)        ``DecideInput`` -> ``Decided``
write         ``write_audit`` (``pipeline.write``)    ``AuditRecord`` -> ``AuditOutcome``
decide+write  ``conclude`` (``pipeline.conclude``)    ``Assessed``, ``Described`` ->
                                                      ``AuditOutcome``
============  =====================================  ====================================

``check`` of a model file (``auditkit.audit.run_audit``) and of a script
(``auditkit.script.audit.run_script_audit``) run all five; ``compare`` starts from
logged runs and runs decide and write. See docs/architecture.md.
"""

from auditkit.pipeline.assess import assess_rules
from auditkit.pipeline.conclude import Assessed, CheckOptions, Described, Planned, conclude
from auditkit.pipeline.decide import (
    Decided,
    DecideInput,
    claim_evidence,
    decide,
    exit_code_for,
    failed_arms,
    pair_evidence,
    rule_row,
    rule_rows,
    thresholds_of,
    with_findings,
)
from auditkit.pipeline.execute import (
    Executed,
    ExecuteSettings,
    ProgressFn,
    RunSession,
    execution_notes,
    open_runs,
)
from auditkit.pipeline.looks import adaptive_design, take_looks
from auditkit.pipeline.write import (
    STATE_DIR,
    AuditOutcome,
    AuditRecord,
    Started,
    design_to_dict,
    is_report_dir,
    library_versions,
    pack_record,
    point_last,
    prepare_out_dir,
    run_counts,
    run_records,
    write_audit,
)

__all__ = [
    "STATE_DIR",
    "Assessed",
    "AuditOutcome",
    "AuditRecord",
    "CheckOptions",
    "DecideInput",
    "Decided",
    "Described",
    "ExecuteSettings",
    "Executed",
    "Planned",
    "ProgressFn",
    "RunSession",
    "Started",
    "adaptive_design",
    "assess_rules",
    "claim_evidence",
    "conclude",
    "decide",
    "design_to_dict",
    "execution_notes",
    "exit_code_for",
    "failed_arms",
    "is_report_dir",
    "library_versions",
    "open_runs",
    "pack_record",
    "pair_evidence",
    "point_last",
    "prepare_out_dir",
    "rule_row",
    "rule_rows",
    "run_counts",
    "run_records",
    "take_looks",
    "thresholds_of",
    "with_findings",
    "write_audit",
]
