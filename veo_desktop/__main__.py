from veo_desktop.app import main

raise SystemExit(main())
