{#- Every landing row is either staged (clean), quarantined with a reason,
    or a removed exact duplicate: raw = clean + quarantined + duplicates. -#}
{% test raw_rows_reconcile(model) %}
    select *
    from {{ model }}
    where
        raw_rows != clean_rows + quarantined_rows + duplicates_removed
        or clean_rows != staged_rows
{% endtest %}
