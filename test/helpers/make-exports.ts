/** Files people export, built in-test: a workbook (write-excel-file), a calendar, an address book, Apple Health. */
import writeXlsxFile from 'write-excel-file/node';

export async function makeXlsx(sheets: Array<{ name: string; rows: Array<Array<string | number | Date | null>> }>) {
  const data = sheets.map((s) => ({
    sheet: s.name,
    data: s.rows.map((row) =>
      row.map((value) => (value === null ? null : value instanceof Date ? { value, format: 'yyyy-mm-dd' } : { value })),
    ),
  }));
  return new Uint8Array(await writeXlsxFile(data).toBuffer());
}

/** An iCalendar file as Google Calendar and Apple Calendar export them (RFC 5545 §3.4, folded lines, CRLF). */
export const CALENDAR = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
  'X-WR-CALNAME:Family health',
  'BEGIN:VEVENT',
  'DTSTART:20240312T083000Z',
  'DTEND:20240312T090000Z',
  'UID:cardio-1@example.org',
  'SUMMARY:Cardiology follow-up with Dr. Okafor',
  'LOCATION:St. Mary Clinic\\, Room 4',
  'DESCRIPTION:Bring the Holter monitor results and the list of current medicat',
  ' ions.',
  'ORGANIZER;CN=Dr. Okafor:mailto:okafor@clinic.example',
  'ATTENDEE;CN=Jane Doe:mailto:jane@example.org',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20240401',
  'UID:rent-1@example.org',
  'SUMMARY:Pay the rent',
  'RRULE:FREQ=MONTHLY;BYMONTHDAY=1',
  'END:VEVENT',
  'BEGIN:VTODO',
  'DUE:20240315T170000Z',
  'UID:todo-1@example.org',
  'SUMMARY:Renew the warfarin prescription',
  'STATUS:NEEDS-ACTION',
  'END:VTODO',
  'END:VCALENDAR',
  '',
].join('\r\n');

/** An address book as phones and mail clients export it: vCard 3.0 and 4.0 cards in one file. */
export const CONTACTS = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'N:Okafor;Chidi;;Dr.;',
  'FN:Dr. Chidi Okafor',
  'ORG:St. Mary Clinic;Cardiology',
  'TITLE:Cardiologist',
  'TEL;TYPE=WORK,VOICE:+1-555-0142',
  'EMAIL;TYPE=INTERNET:okafor@clinic.example',
  'ADR;TYPE=WORK:;;12 Harbour Road;Springfield;IL;62701;USA',
  'END:VCARD',
  'BEGIN:VCARD',
  'VERSION:4.0',
  'FN:Maria Lopez',
  'N:Lopez;Maria;;;',
  'TEL;TYPE=cell:+1-555-0199',
  'BDAY:19850704',
  'NOTE:Landlord. Rent is due on the first of the month.',
  'END:VCARD',
  '',
].join('\r\n');

/** The head of a real export.xml (HealthKit Export Version 12): its DOCTYPE declares the elements. */
const HEALTH_HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 12 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-03-20 21:14:03 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-05-17" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeAPositive" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>
`;

const record = (type: string, unit: string, value: string | number, start: string, end = start) =>
  ` <Record type="${type}" sourceName="Jane’s Apple Watch" sourceVersion="10.3" unit="${unit}" creationDate="${end}" startDate="${start}" endDate="${end}" value="${value}">\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n </Record>\n`;

/**
 * An Apple Health export with `days` days of steps and heart rate (`perDay` readings of each, from 08:00 on),
 * weight and sleep, a workout and a ring summary.
 */
export function* healthExport(days: number, perDay = 4): Generator<string> {
  yield HEALTH_HEAD;
  const at = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10);
    let chunk = '';
    for (let i = 0; i < perDay; i++) {
      const minute = 480 + i * Math.floor(720 / perDay);
      const hour = Math.floor(minute / 60);
      const steps = ['HKQuantityTypeIdentifierStepCount', 'count', 500 + hour] as const;
      chunk += record(...steps, `${day} ${at(minute)}:00 +0100`, `${day} ${at(minute)}:50 +0100`);
      chunk += record('HKQuantityTypeIdentifierHeartRate', 'count/min', 60 + hour, `${day} ${at(minute)}:05 +0100`);
    }
    chunk += record('HKQuantityTypeIdentifierBodyMass', 'kg', 71.4, `${day} 07:10:00 +0100`);
    chunk += ` <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Jane’s Apple Watch" value="HKCategoryValueSleepAnalysisAsleepCore" startDate="${day} 00:30:00 +0100" endDate="${day} 04:00:00 +0100"/>\n`;
    chunk += ` <ActivitySummary dateComponents="${day}" activeEnergyBurned="412.5" activeEnergyBurnedGoal="500" activeEnergyBurnedUnit="kcal" appleExerciseTime="34" appleExerciseTimeGoal="30" appleStandHours="11" appleStandHoursGoal="12"/>\n`;
    if (d === 2)
      chunk += ` <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="31.5" durationUnit="min" totalDistance="5.2" totalDistanceUnit="km" totalEnergyBurned="318" totalEnergyBurnedUnit="kcal" sourceName="Jane’s Apple Watch" startDate="${day} 18:02:11 +0100" endDate="${day} 18:33:41 +0100"/>\n`;
    yield chunk;
  }
  yield ' <ClinicalRecord type="HKClinicalTypeIdentifierAllergyRecord" identifier="a1" sourceName="St. Mary Clinic" fhirVersion="4.0.1" receivedDate="2024-02-02 10:00:00 +0100" resourceFilePath="/clinical-records/AllergyIntolerance-a1.json"/>\n';
  yield '</HealthData>\n';
}
