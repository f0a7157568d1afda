-- Customers over time can be saved as a dashboard tile too.
alter table saved_report drop constraint saved_report_report_check;
alter table saved_report add constraint saved_report_report_check
    check (report in ('sales', 'cohorts', 'deals', 'funnel', 'churn', 'tier_moves', 'statuses'));
