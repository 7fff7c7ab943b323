from agent_flan.cli import main

raise SystemExit(main())
