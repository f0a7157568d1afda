-- The care calendar reads the tasks due in a month, done or not, of one person or of everyone
-- (the open-task index holds only open ones), and finds the care rule behind each task.
create index task_assignee_due_idx on task (assignee_id, due_at) where deleted_at is null;
create index task_due_idx on task (due_at) where deleted_at is null;
create index automation_run_task_idx on automation_run (task_id) where task_id is not null;
