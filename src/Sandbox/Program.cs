Console.WriteLine("GpuAutomation Sandbox: not built yet (see README.md, Status).");
return 0;
