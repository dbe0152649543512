// The table both Node and Chromium load in test/browser/table.test.ts.
export const TABLE_CSV = [
  'city,day,rain,weather',
  '"Oslo, NO",2020-01-01,0.5,snow',
  'Lima,2020-02-15,0,sun',
  '"Oslo, NO",2020-03-01,NA,rain',
  'Lima,2020-04-10,1.25,rain',
  '"Oslo, NO",2020-05-20,7,rain',
  'Lima,2020-06-01,0,sun',
  '"Oslo, NO",2020-07-04,2,rain',
  'Lima,2020-08-08,0.1,sun',
].join('\n');

export const TABLE_OPTIONS = { target: 'weather', features: ['city', 'day', 'rain'], validation: 0, test: 0.3, seed: 5 };
