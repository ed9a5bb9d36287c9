#!/bin/sh
# postStart hook of the Kubernetes single-user pod (tools/hub/k8s/values.yaml): the same layout
# as the one-machine hub's accounts.provision. The student's notebooks are copied once and never
# overwritten; course_lib and data are symlinks to the image, so `../course_lib` resolves to the
# path the cache was warmed with.
set -eu
course="$HOME/course"
mkdir -p "$course/notebooks"
for f in /opt/ds-course/release/*; do
    name="$(basename "$f")"
    case "$name" in
        *.ipynb) [ -e "$course/notebooks/$name" ] || cp "$f" "$course/notebooks/$name" ;;
        *) cp "$f" "$course/notebooks/$name" ;;
    esac
done
for link in course_lib data; do
    [ -L "$course/$link" ] || ln -s "/opt/ds-course/course/$link" "$course/$link"
done
[ -L "$course/feedback" ] || ln -s /srv/exchange/feedback "$course/feedback"
