#!/usr/bin/env bash
# Assembles the Azure Functions app package of the control plane (custom handler):
#   <out>/host.json                 from the repository root
#   <out>/<FunctionName>/function.json   one folder per function, from src/Functions/FunctionApp
#   <out>/handler/                  the ASP.NET Core handler, self-contained for linux-x64 (no .NET on the platform needed)
# and zips it to <out>.zip for `az functionapp deployment source config-zip` / Flex Consumption one-deploy.
# Usage: bash scripts/publish-functions.sh [output-dir] [--aot] [--no-zip]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$root/artifacts/functions-app"
aot=false; zip=true
for arg in "$@"; do
  case "$arg" in
    --aot) aot=true ;;
    --no-zip) zip=false ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) out=$(realpath -m "$arg") ;;
  esac
done

rm -rf "$out"; mkdir -p "$out/handler"
publish_args=(-c Release -r linux-x64 --self-contained true -o "$out/handler" -p:DebugType=none -p:GenerateDocumentationFile=false)
if $aot; then publish_args+=(-p:PublishAot=true); else publish_args+=(-p:PublishReadyToRun=true); fi
dotnet publish "$root/src/Functions/GpuAutomation.Functions.csproj" "${publish_args[@]}" >&2

cp "$root/host.json" "$out/host.json"
for dir in "$root"/src/Functions/FunctionApp/*/; do
  name=$(basename "$dir")
  mkdir -p "$out/$name"; cp "$dir/function.json" "$out/$name/function.json"
done
chmod +x "$out/handler/GpuAutomation.Functions"

if $zip; then
  rm -f "$out.zip"
  (cd "$out" && python3 -c 'import os,sys,zipfile
z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED)
for d,_,fs in os.walk("."):
    for f in fs:
        p=os.path.join(d,f); i=zipfile.ZipInfo.from_file(p,os.path.relpath(p,"."))
        i.external_attr=(os.stat(p).st_mode & 0xFFFF) << 16; i.compress_type=zipfile.ZIP_DEFLATED
        z.writestr(i,open(p,"rb").read())
z.close()' "$out.zip")
fi
echo "$out"
