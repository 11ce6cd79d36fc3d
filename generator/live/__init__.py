"""Live rehearsal: the emitted scripts, unchanged, against real processes and traffic.

``cf`` stays the simulated foundation (its state and grammar, on a real clock);
every started app instance is a real HTTP server process (:mod:`.supervisor`,
:mod:`.app_server`), the router is nginx configured from the route table
(:mod:`.router`), the scripts run the real curl, sleep and date, and a load
prober (:mod:`.prober`) records every request while they run. :mod:`.world`
puts it together, :mod:`.story` runs a deploy/rollback sequence, :mod:`.analysis`
and :mod:`.report` turn the records into a summary and an HTML report.
"""
